/** Where finished log lines go: stderr in the runners, an array in tests. */
export type LogSink = (line: string) => void;

/** Secrets shorter than this are not masked: masking "a" would garble every line. */
const MIN_SECRET_LENGTH = 4;
const MASK = "****";

/**
 * Logger that masks every registered secret in everything it prints, and in any text passed
 * through `redact` (error messages, command output). Steps register a password the moment they
 * read or generate it, so no later line can leak it, whatever code path prints it.
 */
export class RedactingLogger {
  private readonly secrets = new Set<string>();

  constructor(private readonly sink: LogSink = (line) => process.stderr.write(`${line}\n`)) {}

  /** Masks `secret` (and its base64 form, as it would appear in encoded command output) from now on. */
  registerSecret(secret: string | undefined): void {
    if (!secret || secret.length < MIN_SECRET_LENGTH) return;
    this.secrets.add(secret);
    this.secrets.add(Buffer.from(secret, "utf8").toString("base64").replace(/=+$/, ""));
  }

  /** `text` with every registered secret replaced by `****`. */
  redact(text: string): string {
    let out = text;
    // Longest first, so a secret containing another one is masked whole.
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join(MASK);
    return out;
  }

  info(message: string): void {
    this.sink(this.redact(message));
  }

  warn(message: string): void {
    this.sink(this.redact(`WARN ${message}`));
  }

  error(message: string): void {
    this.sink(this.redact(`ERROR ${message}`));
  }
}

/** A logger writing into an array (tests, the simulation). */
export function memoryLogger(): { log: RedactingLogger; lines: string[] } {
  const lines: string[] = [];
  return { log: new RedactingLogger((line) => lines.push(line)), lines };
}
