import os

os.environ.setdefault("XIAOQU_DEBUG", "1")
