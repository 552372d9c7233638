/**
 * Data phase, API part: buckets must be empty before Terraform may delete them, and FSx file
 * systems are deleted only when the operator says their data is backed up.
 */
import {
  DeleteObjectsCommand,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
} from "@aws-sdk/client-s3";
import { DescribeFileSystemsCommand, DescribeVolumesCommand } from "@aws-sdk/client-fsx";
import { awsErrorCode } from "../../../hooks/lib/errors";
import { str, type StateResource, type TeardownClients, type TeardownOptions } from "./model";

/** What one bucket holds now. */
export interface BucketState {
  readonly bucket: string;
  readonly exists: boolean;
  /** Object versions and delete markers on the first page (up to 1,000). */
  readonly entries: number;
  /** More than one page. */
  readonly more: boolean;
}

/** One page of a bucket's versions and delete markers, as DeleteObjects identifiers. */
async function page(
  s3: TeardownClients["s3"],
  bucket: string,
): Promise<{ exists: boolean; ids: { Key: string; VersionId?: string }[]; more: boolean }> {
  let out: ListObjectVersionsCommandOutput;
  try {
    out = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1000 }));
  } catch (err) {
    if (awsErrorCode(err) === "NoSuchBucket") return { exists: false, ids: [], more: false };
    throw err;
  }
  const ids = [...(out.Versions ?? []), ...(out.DeleteMarkers ?? [])]
    .filter((v) => v.Key !== undefined)
    .map((v) => ({ Key: v.Key as string, ...(v.VersionId ? { VersionId: v.VersionId } : {}) }));
  return { exists: true, ids, more: out.IsTruncated === true };
}

/** The buckets of the data stack's state and what each holds. */
export async function describeBuckets(
  clients: TeardownClients,
  data: readonly StateResource[],
): Promise<BucketState[]> {
  const out: BucketState[] = [];
  for (const r of data.filter((x) => x.type === "aws_s3_bucket")) {
    const bucket = str(r, "bucket") ?? str(r, "id");
    if (!bucket) continue;
    const p = await page(clients.s3, bucket);
    out.push({ bucket, exists: p.exists, entries: p.ids.length, more: p.more });
  }
  return out;
}

/** One line per bucket for the report. */
export function bucketLine(b: BucketState): string {
  if (!b.exists) return `bucket ${b.bucket}: already deleted`;
  if (b.entries === 0) return `bucket ${b.bucket}: empty`;
  return `bucket ${b.bucket}: holds ${b.more ? "more than " : ""}${b.entries} object version(s) and delete marker(s)`;
}

/** The refusal for a non-empty bucket when --delete-objects was not given. */
export function bucketRefusal(b: BucketState): string {
  return `bucket ${b.bucket} is not empty (${b.more ? "more than " : ""}${b.entries} object version(s) and delete marker(s)): copy what must be kept, then empty it or pass --delete-objects to delete every object version and delete marker`;
}

/**
 * Deletes every object version and delete marker, 1,000 at a time (the DeleteObjects limit:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html; emptying a versioned
 * bucket: https://docs.aws.amazon.com/AmazonS3/latest/userguide/empty-bucket.html). Stops on the
 * first page with errors (Object Lock retention, legal hold, access denied) and says which.
 */
export async function emptyBucket(
  clients: TeardownClients,
  bucket: string,
  out: (line: string) => void,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const p = await page(clients.s3, bucket);
    if (!p.exists || p.ids.length === 0) break;
    const res = (await clients.s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: p.ids, Quiet: true } }),
    )) as { Errors?: { Key?: string; VersionId?: string; Code?: string; Message?: string }[] };
    const errors = res.Errors ?? [];
    deleted += p.ids.length - errors.length;
    if (errors.length > 0) {
      const first = errors
        .slice(0, 3)
        .map((e) => `${e.Key ?? "?"} (version ${e.VersionId ?? "null"}): ${e.Code ?? "error"}`);
      throw new Error(
        `bucket ${bucket}: ${errors.length} object version(s) could not be deleted, e.g. ${first.join("; ")}; Object Lock retention or a legal hold keeps them until it ends`,
      );
    }
    out(`  bucket ${bucket}: deleted ${deleted} object version(s) and delete marker(s) so far`);
  }
  return deleted;
}

/** An FSx file system of the data stack's state that still exists, with its volumes. */
export interface FileSystemState {
  readonly id: string;
  readonly exists: boolean;
  readonly volumes: readonly { id: string; name: string }[];
}

/** The FSx file systems of the data stack's state. */
export async function describeFileSystems(
  clients: TeardownClients,
  data: readonly StateResource[],
): Promise<FileSystemState[]> {
  const out: FileSystemState[] = [];
  for (const r of data.filter((x) => x.type.startsWith("aws_fsx_") && x.type.endsWith("_file_system"))) {
    const id = str(r, "id");
    if (!id) continue;
    try {
      await clients.fsx.send(new DescribeFileSystemsCommand({ FileSystemIds: [id] }));
    } catch (err) {
      if (awsErrorCode(err) === "FileSystemNotFound") {
        out.push({ id, exists: false, volumes: [] });
        continue;
      }
      throw err;
    }
    let volumes: { id: string; name: string }[] = [];
    try {
      const v = (await clients.fsx.send(
        new DescribeVolumesCommand({ Filters: [{ Name: "file-system-id", Values: [id] }] }),
      )) as { Volumes?: { VolumeId?: string; Name?: string }[] };
      volumes = (v.Volumes ?? []).map((x) => ({ id: x.VolumeId ?? "?", name: x.Name ?? "?" }));
    } catch {
      // Listing volumes only makes the refusal more precise; the refusal stands without it.
    }
    out.push({ id, exists: true, volumes });
  }
  return out;
}

/** The refusal for an FSx file system when --delete-file-systems was not given: what to back up first. */
export function fileSystemRefusal(fs: FileSystemState, opts: Pick<TeardownOptions, "region">): string {
  const backups = fs.volumes.length
    ? fs.volumes.map((v) => `aws fsx create-backup --volume-id ${v.id} --region ${opts.region}  # ${v.name}`).join("; ")
    : `list its volumes (aws fsx describe-volumes --filters Name=file-system-id,Values=${fs.id} --region ${opts.region}) and back up each (aws fsx create-backup --volume-id <id>)`;
  return `FSx file system ${fs.id} still exists: back up its volumes first (${backups}); a backup is encrypted under the file system's key, so copy it under a key that outlives this environment (aws fsx copy-backup --kms-key-id ...); then pass --delete-file-systems`;
}
