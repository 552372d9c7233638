/**
 * `xks-check [--target <file> | --endpoint https://<name> --uri-path <path> --region <region> --key <id>...]`
 * (see README.md). Exit 0 all checks passed, 1 a check failed, 2 bad input.
 */
import { runMain } from "./run-cli";

runMain();
