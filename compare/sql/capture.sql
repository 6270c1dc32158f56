SELECT start_ts, end_ts, dur, format_version, hostname, kernel_release, machine, complete FROM capture
