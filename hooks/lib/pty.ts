/**
 * Password prompts of the CloudHSM CLI under SSM Run Command.
 *
 * `cloudhsm-cli` asks for new passwords ("Enter password:", "Confirm password:") and may read the
 * answer from a terminal only; SSM Run Command gives a script no terminal. The scripts therefore
 * run such a command under a pseudo-terminal (Python's `pty`, present on Amazon Linux 2023, whose
 * package manager is written in it) and answer each prompt when it appears, from lines the
 * script writes to the helper's standard input with `printf` (a shell builtin: no process has the
 * password in its argv, and SSM's command history holds only this script).
 *
 * Why not util-linux `script -c` fed from a pipe: it forwards the whole input the moment it
 * starts, before the CLI has switched the terminal to password mode, so the answer depends on
 * the CLI not flushing pending input, and with input from a pipe it keeps the terminal's echo on
 * (`--echo auto`), which would copy the password into the command output. The helper below turns
 * echo off before the CLI starts and writes an answer only after its prompt.
 */

/** Seconds the helper waits for the CLI before killing it (exit 124). */
export const PTY_TIMEOUT_SECONDS = 300;

const PTY_PY = String.raw`import os, pty, re, select, signal, sys, termios, time
argv = sys.argv[1:]
answers = sys.stdin.buffer.read().split(b"\n")
if answers and answers[-1] == b"":
    answers.pop()
prompt = re.compile(rb"password:\s*$", re.IGNORECASE)
pid, fd = pty.fork()
if pid == 0:
    try:
        attrs = termios.tcgetattr(0)
        attrs[3] &= ~termios.ECHO
        termios.tcsetattr(0, termios.TCSANOW, attrs)
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
def stop(code, why):
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    sys.stderr.write("cmk-pty: " + why + "\n")
    sys.exit(code)
deadline = time.monotonic() + ${PTY_TIMEOUT_SECONDS}
tail = b""
while True:
    left = deadline - time.monotonic()
    if left <= 0:
        stop(124, "no answer from " + argv[0] + " within ${PTY_TIMEOUT_SECONDS} s")
    ready, _, _ = select.select([fd], [], [], min(left, 1.0))
    if not ready:
        continue
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        chunk = b""
    if not chunk:
        break
    sys.stdout.buffer.write(chunk.replace(b"\r\n", b"\n"))
    sys.stdout.buffer.flush()
    tail = (tail + chunk)[-256:]
    if prompt.search(tail):
        tail = b""
        if not answers:
            stop(125, argv[0] + " asked for more passwords than the script provides")
        os.write(fd, answers.pop(0) + b"\n")
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)`;

/**
 * Shell lines defining `cmk_pty <command> [args...]`: runs the command under a pseudo-terminal with
 * echo off and answers every "...password:" prompt with the next line of its own standard input.
 * Exit status: the command's, 124 on timeout, 125 on an unexpected extra prompt, 127 if the
 * command cannot be started. Usage: `printf '%s\n%s\n' "$PW" "$PW" | cmk_pty cloudhsm-cli user create ...`.
 */
export function ptyHelperLines(): string[] {
  return [
    'command -v python3 >/dev/null || { echo "python3 is required on the admin host (CloudHSM CLI password prompts need a terminal)" >&2; exit 3; }',
    "CMK_PTY_PY=\"$(cat <<'CMK_PTY_EOF'",
    PTY_PY,
    "CMK_PTY_EOF",
    ')"',
    'cmk_pty() { python3 -c "$CMK_PTY_PY" "$@"; }',
  ];
}
