"""The transfer engine: one answer to "which target modules does this candidate cover, at what
level and credit, with what evidence?" for recognition, articulation and pathways alike.

``types`` (values), ``align`` (the one batched aligner), ``rules`` (the one level–workload–
outcomes decision, compulsory and elective modules).
"""
