"""scrapers: derive op_tables/ from the upstream TFLite and AOSP sources. Not used at run time."""
