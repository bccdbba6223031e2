complete --keep-order --exclusive --command lviz --arguments "(COMPLETE=fish lviz -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
