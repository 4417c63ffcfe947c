"""Staggered difference-in-differences for pilot designations (docstring written below)."""

from innostudy.policy.callaway import Aggregate, ATTgtResult, att_gt
from innostudy.policy.panel import Panel, PanelError
from innostudy.policy.regression import EventStudyResult, TWFEResult, event_study, twfe
from innostudy.policy.simulate import simulate_panel
