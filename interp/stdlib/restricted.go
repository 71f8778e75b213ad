package stdlib

import (
	"log"
	"os"
)

// yaegi's extract refers to these names, instead of the functions
// themselves, so that its own standard library can restrict them. A
// gokernel session is unrestricted (the worker process contains the
// damage), so they are the real functions.
var (
	osExit        = os.Exit
	osFindProcess = os.FindProcess
	logFatal      = log.Fatal
	logFatalf     = log.Fatalf
	logFatalln    = log.Fatalln
	logNew        = log.New
)

type logLogger = log.Logger
