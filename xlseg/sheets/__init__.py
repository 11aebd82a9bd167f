"""The engine-neutral result sheet: blocks of cells with formats, captions and chart specs (no I/O).

``layout`` is the contract the writers paint; ``blocks`` builds blocks from engine results, with
``present`` (number formats, captions, segment names), ``choose`` (what auto mode segments by),
``names`` (valid, unique sheet and table names) and ``textsafe`` (text Excel cannot misread).
"""
