"""What happened in the demo company over the last eight months: who left,
with which template, and how their handover went.

Everything is fixed here (no randomness), relative to the day ``seed_demo``
runs, so two runs on the same day tell the same story and the figures read
the same in a screenshot and in a test."""

from dataclasses import dataclass

__all__ = ["LEAVERS", "STAFF", "STORIES", "Story"]

# Staying employees the stories need: team leads (the managers of most
# leavers, under the demo ``manager`` so that login has a reporting chain two
# levels deep) and successors. number, name, department, role, position,
# manager number.
STAFF = (
    ("H100", "Sun Hao", "sales", "sales", "Sales team lead", "E0002"),
    ("H101", "Zhou Ming", "rnd", "engineer", "R&D team lead", "E0002"),
    ("H102", "Ma Lin", "hr", "general", "HR team lead", "E0001"),
    ("H103", "Guo Tao", "it", "general", "IT support lead", "E0004"),
    ("H104", "Lin Yu", "sales", "sales", "Account manager", "H100"),
    ("H105", "He Jie", "rnd", "engineer", "Backend engineer", "H101"),
    ("H106", "Xu Lan", "rnd", "engineer", "Frontend engineer", "H101"),
    ("H107", "Feng Yi", "hr", "general", "HR specialist", "H102"),
    ("H108", "Tang Bo", "it", "general", "Desktop support engineer", "H103"),
)

# Who takes over from a leaver of each department (employee numbers; the
# demo ``successor`` login is E0007), in turn.
SUCCESSORS = {
    "sales": ("E0007", "H104"),
    "rnd": ("H105", "H106"),
    "hr": ("H107",),
    "it": ("H108",),
}
TEMPLATE_OF_DEPARTMENT = {
    "sales": "sales",
    "rnd": "tech",
    "hr": "general",
    "it": "general",
}
ROLE_OF_DEPARTMENT = {
    "sales": "sales",
    "rnd": "engineer",
    "hr": "general",
    "it": "general",
}
POSITION_OF_DEPARTMENT = {
    "sales": "Account manager",
    "rnd": "Software engineer",
    "hr": "HR assistant",
    "it": "System administrator",
}
# The leavers' managers: the demo ``manager`` (E0002) directly, or a team lead.
MANAGERS = {
    "sales": ("E0002", "H100"),
    "rnd": ("E0002", "H101"),
    "hr": ("H102",),
    "it": ("H103",),
}

NAMES = (
    "Qian Wei",
    "Zhu Fang",
    "Hu Jing",
    "Gao Lei",
    "Luo Yan",
    "Zheng Tao",
    "Liang Hui",
    "Xie Ning",
    "Song Kai",
    "Han Rui",
    "Deng Xin",
    "Cao Mei",
    "Peng Bo",
    "Zeng Lin",
    "Xiao Dan",
    "Tian Yu",
    "Dong Hua",
    "Pan Ting",
    "Yuan Chao",
    "Cai Ping",
    "Jiang Qiang",
    "Du Juan",
    "Ye Long",
    "Cheng Yun",
    "Wei Shan",
    "Su Min",
    "Ding Hao",
    "Ren Xia",
    "Shen Yi",
    "Yao Bin",
    "Lu Hong",
    "Fu Qian",
    "Kong Jun",
    "Bai Lan",
    "Qin Gang",
    "Jin Zhen",
)
DEPARTMENT_CYCLE = ("sales", "rnd", "sales", "rnd", "hr", "it")

# Items that draw questions (returned, answered, accepted), by template: the
# "questions" report shows these blocks on top.
QUESTIONS = {
    "sales": ("Key client list", "Unreimbursed expenses", "Open orders and quotes"),
    "tech": (
        "Design documents and runbooks",
        "Projects in progress",
        "Unfinished tasks",
    ),
    "general": ("Unreimbursed expenses", "Paper files in the cabinet"),
}


@dataclass(frozen=True)
class Story:
    number: str  # the leaver's employee number
    outcome: str  # completed | in_review | in_progress | draft | cancelled
    last_working_day: int  # days from today
    lead_days: int = 14  # the handover starts this many days before it
    approve_delay: int = 0  # completed: days after the last working day
    progress: float = 1.0  # open: share of the items accepted
    questions: int = 0  # items returned with a question (answered, accepted)
    open_question: bool = False  # one item returned, its question waiting
    idle_days: int = 0  # open: days without any activity since
    access: str = ""  # "" | verified | failed_then_fixed | failed | manual
    revoke_delay: int = 0  # days from the end of the last working day
    sync_failures: int = 0  # failed periodic syncs of its OA block
    successor_left: bool = False  # the successor was removed (no successor)
    # Where the leaver worked and who they reported to, when it matters to
    # the story (otherwise the departments take turns).
    department: str = ""
    manager: str = ""


# Completed handovers, oldest first: in the first months certificates came
# days after the last working day and access was revoked late; since then
# both happen on the day (the seed article's "3 days to 1 day").
_COMPLETED = (
    # last working day, lead days, approve delay, questions, access, revoke delay
    (-245, 24, 6, 2, "verified", 4),
    (-236, 22, 5, 1, "", 0),
    (-224, 23, 4, 2, "verified", 3),
    (-213, 21, 5, 1, "", 0),
    (-201, 20, 3, 1, "verified", 3),
    (-190, 21, 4, 2, "", 0),
    (-178, 19, 3, 0, "verified", 2),
    (-166, 18, 2, 1, "", 0),
    (-153, 18, 3, 1, "verified", 2),
    (-141, 17, 2, 0, "", 0),
    (-129, 16, 1, 1, "verified", 1),
    (-117, 16, 0, 0, "failed_then_fixed", 0),
    (-104, 15, 1, 1, "verified", 1),
    (-93, 15, 1, 0, "", 0),
    (-81, 14, 0, 1, "verified", 0),
    (-70, 14, 1, 0, "", 0),
    (-58, 13, 0, 1, "verified", 0),
    (-47, 12, 0, 0, "", 0),
    (-37, 12, -1, 1, "failed", 0),
    (-29, 12, 0, 0, "verified", 0),
    (-19, 11, 1, 0, "", 0),
    (-12, 11, 0, 1, "verified", 0),
)


def _stories() -> tuple:
    stories = []
    numbers = (f"H{index:03d}" for index in range(1, len(NAMES) + 1))
    for lwd, lead, delay, questions, access, revoke in _COMPLETED:
        stories.append(
            Story(
                number=next(numbers),
                outcome="completed",
                last_working_day=lwd,
                lead_days=lead,
                approve_delay=delay,
                questions=questions,
                access=access,
                revoke_delay=revoke,
                sync_failures=1 if lwd in (-213, -141, -70) else 0,
            )
        )
    stories += [
        # Waiting for the demo manager's approval.
        Story(
            next(numbers),
            "in_review",
            -1,
            lead_days=12,
            questions=1,
            department="sales",
            manager="E0002",
        ),
        Story(
            next(numbers),
            "in_review",
            2,
            lead_days=12,
            department="rnd",
            manager="E0002",
        ),
        # Open handovers: late by 2, 6, 15 and 40 days; due today and this
        # week; next week; in three weeks.
        Story(next(numbers), "in_progress", -2, progress=0.8, open_question=True),
        Story(
            next(numbers),
            "in_progress",
            -6,
            progress=0.6,
            idle_days=7,
            access="failed",
        ),
        Story(
            next(numbers),
            "in_progress",
            -15,
            lead_days=20,
            progress=0.5,
            idle_days=12,
            successor_left=True,
        ),
        Story(
            next(numbers),
            "in_progress",
            -40,
            lead_days=25,
            progress=0.3,
            idle_days=30,
            sync_failures=3,
        ),
        Story(next(numbers), "in_progress", 0, progress=0.7, access="manual"),
        Story(next(numbers), "in_progress", 3, progress=0.4, open_question=True),
        Story(next(numbers), "in_progress", 9, progress=0.2),
        Story(next(numbers), "in_progress", 20, lead_days=2, progress=0.1),
        Story(next(numbers), "draft", 10),
        Story(next(numbers), "draft", 30),
        Story(next(numbers), "cancelled", -100, lead_days=10, progress=0.3),
        Story(next(numbers), "cancelled", -45, lead_days=8, progress=0.2),
    ]
    return tuple(stories)


STORIES = _stories()


def _leavers() -> dict:
    """Employee number -> (name, department, role, position, manager number,
    template slug, successor number)."""
    leavers = {}
    turns = dict.fromkeys(SUCCESSORS, 0)
    for index, (story, name) in enumerate(zip(STORIES, NAMES, strict=True)):
        department = story.department or DEPARTMENT_CYCLE[index % len(DEPARTMENT_CYCLE)]
        turn = turns[department]
        turns[department] += 1
        managers = MANAGERS[department]
        successors = SUCCESSORS[department]
        leavers[story.number] = (
            name,
            department,
            ROLE_OF_DEPARTMENT[department],
            POSITION_OF_DEPARTMENT[department],
            story.manager or managers[turn % len(managers)],
            TEMPLATE_OF_DEPARTMENT[department],
            successors[turn % len(successors)],
        )
    return leavers


LEAVERS = _leavers()
