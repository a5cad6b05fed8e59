"""Data: the VOC / COCO readers, transforms, and the synthetic mini world (``data.synth``)."""
