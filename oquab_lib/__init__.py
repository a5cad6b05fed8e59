"""oquab: a reproducible companion to Oquab, Bottou, Laptev & Sivic (CVPR 2014, CVPR 2015).

Import direction: ``data``, ``metrics``, ``models`` know nothing of the experiment modules
(``pretrain``, ``cvpr14``, ``cvpr15``); only notebooks import ``report``.
"""

__version__ = "0.1.0"
