"""Date formats of the Chinese interface where Django's own differ from how people write them
(its month and day is 09月5日); the rest are Django's (docs/configuration.md)."""

MONTH_DAY_FORMAT = "n月j日"
