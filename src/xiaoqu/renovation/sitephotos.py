"""When and where a site photo was taken, and how far that is from the estate.

Pure: Pillow reads the EXIF block (DateTimeOriginal, OffsetTimeOriginal and the GPS IFD);
nothing here imports Django. ``renovation.services.progress`` feeds it the uploaded file and
the estate's coordinates and stores what it answers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import warnings
from dataclasses import dataclass
from typing import IO, Any

from PIL import ExifTags, Image

# Mean Earth radius (IUGG), in metres: the haversine distance is within 0.5 % of the
# ellipsoidal one, far below what tells a photo on site from one taken across town.
EARTH_RADIUS_M = 6_371_008.8

_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4


@dataclass(frozen=True)
class PhotoFacts:
    """What a photo's EXIF block says. ``taken_at`` is naive unless the camera wrote its
    UTC offset (OffsetTimeOriginal); the caller reads a naive time in local time."""

    taken_at: dt.datetime | None = None
    latitude: float | None = None
    longitude: float | None = None

    @property
    def has_position(self) -> bool:
        return self.latitude is not None and self.longitude is not None


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def valid_position(latitude: float | None, longitude: float | None) -> bool:
    """Both given, finite and on the globe; (0, 0), which a phone writes when it has no fix,
    counts as no position."""
    if latitude is None or longitude is None:
        return False
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return False
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return False
    return not (latitude == 0 and longitude == 0)


def read_facts(fp: IO[bytes]) -> PhotoFacts:
    """The time and position in a photo's EXIF block; empty facts when it has none or the
    file cannot be read (only the header and the metadata are read, never the pixels)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a huge image is no bomb: its pixels stay unread
            with Image.open(fp) as image:
                exif = image.getexif()
                main = exif.get_ifd(ExifTags.IFD.Exif)
                gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:  # any unreadable metadata means "no facts"
        return PhotoFacts()
    taken_at = _taken_at(
        main.get(ExifTags.Base.DateTimeOriginal), main.get(ExifTags.Base.OffsetTimeOriginal)
    )
    latitude = _coordinate(gps.get(_GPS_LAT), gps.get(_GPS_LAT_REF), "S")
    longitude = _coordinate(gps.get(_GPS_LON), gps.get(_GPS_LON_REF), "W")
    if not valid_position(latitude, longitude):
        latitude = longitude = None
    return PhotoFacts(taken_at, latitude, longitude)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return str(value).strip("\x00 ") if value is not None else ""


def _taken_at(value: Any, offset: Any) -> dt.datetime | None:
    """EXIF writes "2026:03:14 09:30:05"; the offset, when there is one, "+08:00"."""
    raw = _text(value)
    try:
        taken = dt.datetime.strptime(raw, "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    zone = _text(offset)
    if zone:
        with contextlib.suppress(ValueError):
            taken = taken.replace(tzinfo=dt.datetime.strptime(zone, "%z").tzinfo)
    return taken


def _coordinate(value: Any, ref: Any, negative: str) -> float | None:
    """Degrees from EXIF's (degrees, minutes, seconds) rationals and its N/S or E/W ref."""
    try:
        degrees, minutes, seconds = (float(part) for part in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = degrees + minutes / 60 + seconds / 3600
    if not math.isfinite(result):
        return None
    return -result if _text(ref).upper() == negative else result
