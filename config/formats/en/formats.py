"""The console's date formats: times to the second with their zone, so a phase that took forty
seconds does not read as starting and ending at "1:08 p.m." (Django's English default)."""

DATETIME_FORMAT = "Y-m-d H:i:s T"
SHORT_DATETIME_FORMAT = "Y-m-d H:i:s T"
TIME_FORMAT = "H:i:s"
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
