"""Class names of the benchmarks, in the order the devkits and the papers' tables use."""

VOC_CLASSES: tuple[str, ...] = (
    "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
)

# VOC2012 action classes ("other" exists in the XML files but is not evaluated).
VOC_ACTIONS: tuple[str, ...] = (
    "jumping", "phoning", "playinginstrument", "reading", "ridingbike", "ridinghorse",
    "running", "takingphoto", "usingcomputer", "walking",
)

COCO_CLASSES: tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
    "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
    "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
    "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
    "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors", "teddy bear",
    "hair drier", "toothbrush",
)

# The 11 VOC classes under the superclasses CVPR'14 added for PRE-1512 (hoofed mammal, furniture,
# motor vehicle, public transport, bicycle).
TARGETED_BY_1512: tuple[str, ...] = (
    "bicycle", "bus", "car", "chair", "cow", "diningtable", "horse", "motorbike", "sheep", "sofa", "train",
)

assert len(VOC_CLASSES) == 20 and len(VOC_ACTIONS) == 10 and len(COCO_CLASSES) == 80
