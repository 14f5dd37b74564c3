"""诉访分离 hand-over: referral of litigation-related cases to named 政法 units, their 查/纠/解/退 steps,
the 三到位一处理 checklist, 司法救助 and 依法终结 (see docs/workflow.md, section 诉访分离)."""
