"""Start rules decide what a start gets, and the plan explains each decision
in words HR understands before anything starts."""

import datetime

from django.utils import translation

from cms.models import Department, Employee, Role, StartRule
from cms.services import start_plan

from .conftest import LAST_DAY, RESIGNED, employee_of, template


def _plan(employee, **kwargs):
    kwargs.setdefault("last_working_day", LAST_DAY)
    kwargs.setdefault("resignation_date", RESIGNED)
    return start_plan(employee=employee, **kwargs)


def test_without_rules_a_start_gets_todays_suggestions(sales, people):
    # given no start rules at all
    # when HR previews a start for Chen Fang
    plan = _plan(sales)

    # then the template of her role and department and the colleague of the
    # same role are suggested, and the plan says so
    assert plan.startable
    assert plan.rule is None
    assert plan.template.slug == "sales"
    assert plan.successors == [people["successor"]]
    assert plan.manager == people["manager"]
    assert plan.explanations[0] == (
        "No start rules are set up: Baton's suggestions are used."
    )
    assert any(
        "written for the employee's role (Sales) and department (Sales)" in line
        for line in plan.explanations
    )
    assert any(
        line.startswith("Successor Jing Yang, suggested by Baton. Same department")
        for line in plan.explanations
    )


def test_the_first_matching_rule_by_priority_wins(sales, rule_factory):
    # given two rules that both match Chen Fang
    rule_factory("Everyone general", priority=20, template=template("general"))
    winner = rule_factory(
        "Sales team",
        priority=10,
        role=Role.objects.get(code="sales"),
        template=template("sales"),
    )

    # when
    plan = _plan(sales)

    # then the lower priority number wins, and the plan names it and why
    assert plan.rule == winner
    assert plan.template.slug == "sales"
    assert plan.explanations[0] == (
        "Rule “Sales team” (priority 10) applies to Chen Fang: role Sales."
    )
    assert "Template “Sales handover”, set by rule “Sales team”." in (plan.explanations)


def test_a_rule_matches_only_when_every_condition_it_sets_matches(sales, rule_factory):
    # given a rule for sales people whose position contains "director"
    rule_factory(
        "Sales directors",
        priority=1,
        role=Role.objects.get(code="sales"),
        position_contains="DIRECTOR",
        template=template("general"),
    )
    account = rule_factory(
        "Account managers",
        priority=2,
        position_contains="account",
        template=template("sales"),
    )

    # when Chen Fang, a key account manager, resigns
    plan = _plan(sales)

    # then the director rule does not apply; the case-insensitive position rule does
    assert plan.rule == account
    assert "position containing “account”" in plan.explanations[0]


def test_a_department_rule_covers_its_sub_departments(sales, rule_factory):
    # given Sales sits in the company, and a rule for the whole company
    company = Department.objects.get(code="company")
    rule = rule_factory("Company", department=company, template=template("general"))

    # when
    plan = _plan(sales)

    # then the rule applies to Chen Fang in Sales, and says why
    assert plan.rule == rule
    assert plan.template.slug == "general"
    assert (
        "department Baton Demo Co. (a sub-department of it)" in (plan.explanations[0])
    )


def test_the_fallback_rule_applies_when_no_rule_matches(sales, rule_factory):
    # given a rule for engineers only and a fallback rule
    rule_factory("Engineers", priority=1, role=Role.objects.get(code="engineer"))
    fallback = rule_factory(
        "Everyone else",
        priority=99,
        is_fallback=True,
        template=template("general"),
    )

    # when
    plan = _plan(sales)

    # then
    assert plan.rule == fallback
    assert plan.template.slug == "general"
    assert plan.explanations[0] == (
        "No start rule matches Chen Fang: the fallback rule “Everyone else” applies."
    )


def test_inactive_rules_are_ignored(sales, rule_factory):
    rule_factory("Old", active=False, template=template("general"))

    plan = _plan(sales)

    assert plan.rule is None
    assert plan.template.slug == "sales"


def test_no_matching_rule_and_no_fallback_uses_the_suggestions(sales, rule_factory):
    rule_factory("Engineers", role=Role.objects.get(code="engineer"))

    plan = _plan(sales)

    assert plan.rule is None
    assert plan.template.slug == "sales"
    assert plan.explanations[0] == (
        "No start rule matches Chen Fang and there is no fallback rule: "
        "Baton's suggestions are used."
    )


def test_a_rule_without_template_suggests_one_in_its_language(sales, rule_factory):
    # given a rule for everyone in Chinese, with no template of its own
    rule_factory("Chinese", language="zh-hans")

    # when
    plan = _plan(sales)

    # then the best Chinese template is taken
    assert plan.template == template("sales", "zh-hans")
    assert "(Simplified Chinese)" in plan.explanations[1]


def test_a_template_of_another_language_is_a_problem(sales, rule_factory):
    # given a rule whose template is English, and a start asking for Chinese
    rule_factory("English sales", template=template("sales"))

    # when
    plan = _plan(sales, language="zh-hans")

    # then the start cannot go ahead, and the plan says why on the template
    assert not plan.startable
    assert plan.codes["template"] == "template_locale"
    assert plan.problems["template"] == [
        "Template “Sales handover” is in English, but this handover is to be in "
        "Simplified Chinese."
    ]


def test_a_named_successor_rule(sales, people, rule_factory):
    rule_factory(
        "Named",
        successor_policy=StartRule.SuccessorPolicy.NAMED,
        successor=people["hr"],
    )

    plan = _plan(sales)

    assert plan.successors == [people["hr"]]
    assert "Successor Na Li, named by rule “Named”." in plan.explanations


def test_team_backup_is_the_leavers_own_backup_first(sales, people, rule_factory):
    # given Chen Fang names Yang Jing as her backup, and her manager's record
    # names someone else
    sales.backup = employee_of(people["successor"])
    sales.save()
    manager = sales.manager
    manager.backup = employee_of(people["hr"])
    manager.save()
    rule_factory("Backups", successor_policy=StartRule.SuccessorPolicy.TEAM_BACKUP)

    # when
    plan = _plan(Employee.objects.get(pk=sales.pk))

    # then
    assert plan.successors == [people["successor"]]
    assert (
        "Successor Yang Jing, the designated backup of Chen Fang (rule “Backups”)."
        in plan.explanations
    )


def test_team_backup_falls_back_to_the_managers_record(sales, people, rule_factory):
    manager = sales.manager
    manager.backup = employee_of(people["hr"])
    manager.save()
    rule_factory("Backups", successor_policy=StartRule.SuccessorPolicy.TEAM_BACKUP)

    plan = _plan(Employee.objects.get(pk=sales.pk))

    assert plan.successors == [people["hr"]]
    assert (
        "Successor Li Na, the designated backup of the team of Zhang Wei, manager "
        "of Chen Fang (rule “Backups”)." in plan.explanations
    )


def test_team_backup_without_any_backup_is_a_problem(sales, rule_factory):
    rule_factory("Backups", successor_policy=StartRule.SuccessorPolicy.TEAM_BACKUP)

    plan = _plan(sales)

    assert plan.codes == {"successors": "no_successor"}
    assert plan.problems["successors"] == [
        "No designated backup: neither Chen Fang nor their manager's record names "
        "a backup who can sign in (rule “Backups”)."
    ]


def test_manager_choice_leaves_the_successor_to_the_manager(
    sales, people, rule_factory
):
    rule_factory(
        "Managers choose",
        successor_policy=StartRule.SuccessorPolicy.MANAGER_CHOICE,
        manager_choice_days=5,
    )

    plan = _plan(sales)

    assert plan.startable
    assert plan.successors == []
    assert plan.successor_pending
    assert plan.manager == people["manager"]
    assert any(
        line.startswith("No successor yet: Wei Zhang picks one within 5 days, by ")
        and line.endswith("(rule “Managers choose”).")
        for line in plan.explanations
    )


def test_a_rule_names_the_it_group_and_the_due_dates(
    sales, it_group_users, people, rule_factory
):
    rule_factory("Field", it_group="Field IT", due_offset_days=3)

    plan = _plan(sales)

    assert plan.it_users == [people["dev"]]
    assert plan.due_offset_days == 3
    assert (
        "IT: Lei Liu, members of group “Field IT” (rule “Field”)." in plan.explanations
    )
    assert (
        "Every item is due 3 days before the last working day, on Dec. 28, 2026 "
        "(rule “Field”)." in plan.explanations
    )


def test_without_a_rule_items_keep_the_templates_due_dates(sales, people):
    plan = _plan(sales)

    assert plan.due_offset_days is None
    assert (
        "Items are due as the template sets them, counted from the last working "
        "day (Dec. 31, 2026)." in plan.explanations
    )
    assert "IT: Jun Zhao, members of the IT group “IT”." in plan.explanations


def test_bad_dates_and_an_open_handover_are_problems(people):
    # given dev already has a handover open (the demo starts one)
    dev = employee_of(people["dev"])

    # when the last working day is before the resignation date
    plan = _plan(
        dev,
        resignation_date=datetime.date(2026, 12, 10),
        last_working_day=datetime.date(2026, 12, 1),
    )

    # then both are refused, each on its field
    assert plan.codes == {
        "employee": "already_open",
        "last_working_day": "last_day_before_resignation",
    }
    assert plan.problems["employee"] == ["Liu Lei already has an open handover."]
    assert plan.problems["last_working_day"] == [
        "The last working day (Dec. 1, 2026) is before the resignation date "
        "(Dec. 10, 2026)."
    ]


def test_problems_are_shown_in_the_readers_language(people):
    # given dev already has a handover open
    dev = employee_of(people["dev"])

    # when a Chinese-speaking HR admin previews another start for him
    with translation.override("zh-hans"):
        plan = _plan(dev)

    # then the refusal reads in Chinese
    assert plan.problems["employee"] == ["Liu Lei已有一个未结束的交接单。"]


def test_only_one_active_fallback_rule(rule_factory):
    from django.core.exceptions import ValidationError

    rule_factory("First", is_fallback=True)
    second = StartRule(name="Second", is_fallback=True, language="en")

    try:
        second.full_clean()
    except ValidationError as error:
        assert "is_fallback" in error.message_dict
    else:
        raise AssertionError("a second active fallback rule was accepted")
