"""What every layer uses: the error tree, where state lives, atomic state files,
the records of what pycompose made, libc calls, durations and file watching."""
