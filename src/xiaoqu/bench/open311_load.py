"""The locust file of ``xiaoqu bench stewardship``'s Open311 load (run by locust in a process
of its own, never imported by the bench itself).

Each simulated client is an outside system following and posting work orders on
``/open311/v2/``: three times in four it reads ``GET requests.json`` with the filters such a
system uses (its service's open requests; ten requests it posted, by id; what changed since
yesterday), once in four it posts a report ``POST requests.json`` form-encoded, with its key,
within 100 m of an estate of the register. Between two requests a client pauses
``XIAOQU_O311_PAUSE`` seconds on average (0: no pause). What it needs — the key, positions of
estates, ids of recent orders — is in the JSON file ``XIAOQU_O311_DATA``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
from pathlib import Path
from typing import Any

from locust import HttpUser, between, constant, task

DATA: dict[str, Any] = json.loads(Path(os.environ["XIAOQU_O311_DATA"]).read_text("utf-8"))
PAUSE = float(os.environ.get("XIAOQU_O311_PAUSE", "1"))
BEIJING = dt.timezone(dt.timedelta(hours=8))
# About 100 m in degrees of latitude.
JITTER = 0.0009


class Open311Client(HttpUser):
    wait_time = between(PAUSE * 0.5, PAUSE * 1.5) if PAUSE > 0 else constant(0)

    @task(3)
    def get_requests(self) -> None:
        roll = random.random()
        if roll < 0.5:
            params = {"service_code": random.choice(DATA["codes"]), "status": "open"}
        elif roll < 0.75:
            params = {"service_request_id": ",".join(map(str, random.sample(DATA["ids"], 10)))}
        else:
            since = dt.datetime.now(BEIJING) - dt.timedelta(days=1)
            params = {"start_date": since.isoformat(timespec="seconds")}
        self.client.get("/open311/v2/requests.json", params=params, name="GET requests.json")

    @task(1)
    def post_request(self) -> None:
        lat, lon = random.choice(DATA["points"])
        code = random.choice(DATA["codes"])
        form = {
            "api_key": DATA["key"],
            "service_code": code,
            "lat": f"{lat + random.uniform(-JITTER, JITTER) / 2:.6f}",
            "long": f"{lon + random.uniform(-JITTER, JITTER) / 2:.6f}",
            "description": "楼道灯不亮，晚上很黑",
            "first_name": "明",
            "last_name": "王",
            "phone": f"138{random.randrange(10**8):08d}",
        }
        if code == "elevator-trapped":
            form |= {"attribute[entrance]": "2栋1单元", "attribute[people]": "yes"}
        self.client.post("/open311/v2/requests.json", data=form, name="POST requests.json")
