-- The request wrk is given on its command line, reported like the others.
done = dofile(os.getenv("BENCH_DIR") .. "/report.lua")
