"""The engine-neutral result sheet: blocks of cells with formats, captions and chart specs (no I/O).

``layout`` is the contract the writers paint; ``blocks`` builds blocks from engine results and
``insight_blocks`` the scan and gap sheets, with ``present`` (number formats, captions, segment names),
``choose`` (what a report shows in auto mode),
``names`` (valid, unique sheet and table names) and ``textsafe`` (text Excel cannot misread).
"""
