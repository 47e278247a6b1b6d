"""What is due to be reminded, to whom: the rules of issue 6, and the daily scan.

Each rule is one function reading what is due in a fixed number of queries, whatever the
number of members (aggregates and joins in SQL, then grouping in Python), and returning
``partyreg.notifications.delivery.Message`` values. The scan (``scan``) hands them all to
``notify_many``, whose unique reminder rows make a second scan, or two at once, send nothing
twice.

Messages about one item go to the person who must act on it (a member about their own
referral, invitees about their meeting). Messages to a committee are one digest per
organisation and week ("12 members have not presented themselves"), not one per member:
a workplace secretary with 40 late members gets one message a week, not 40 a day.

Periods: a reminder before a deadline is keyed by the deadline, so it is sent once; a
reminder of something still overdue is keyed by the ISO week, so it comes back weekly until
the matter is dealt with.

Timing is ``settings.PARTYREG["REMINDERS"]``; a rule can be switched off for an organisation
and its subtree (``evaluations.reminders.models``); the organisation that counts is
the one whose task it is (named in each rule).

``context`` holds what the rules share (codes, settings, the tree loaded once per scan),
``rules`` the six rules, ``switches`` and ``models`` the per-organisation settings, ``scan``
the daily scan, ``views``, ``urls`` and ``tasks`` its page and its schedule.

This file imports nothing: evaluations.models imports the switch model through it.
"""
