"""The agreements service: the district roster, coaching agreements (coach and principal)
and partnership agreements (coach and teacher).

Why the roster lives here, not in a service of its own: signing and reading an agreement
needs "who is the principal of this school on this date" (and "is this coach assigned to
this school"), and asking that of the same store the agreement is saved in keeps the
check and the signature consistent without a second copy of the roster to keep in step.
It is also one process less for district IT to run. Roster and agreements stay separate
aggregates (``Region``, ``School``, ``Person``; ``CoachingAgreement``,
``PartnershipAgreement``), so either could move out later behind the same contracts.
"""
