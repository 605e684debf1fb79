import os
import tempfile

os.environ.setdefault("XIAOQU_DEBUG", "1")
# Uploaded photos and ballot scans written by tests go to a scratch folder, never to var/.
os.environ.setdefault("XIAOQU_MEDIA_ROOT", tempfile.mkdtemp(prefix="xiaoqu-test-media-"))
