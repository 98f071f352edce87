"""Bad, odd and hostile input, one file per surface: each case one clear line, never a hang or a traceback."""
