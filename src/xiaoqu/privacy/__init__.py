"""Personal information (PIPL): the access log's page, residents' own data and correction
requests, retention and the purge (docs/personal-information.md)."""
