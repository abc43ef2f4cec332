"""Inspection: the records of a mapped call, told in words."""

from ._compare import Comparison as Comparison
from ._compare import compare as compare
from ._explain import explain as explain
from ._explain import explain_report as explain_report
from ._report import Report as Report
from ._report import inspect_call as inspect_call
