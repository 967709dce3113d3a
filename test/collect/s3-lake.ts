import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** Every record of the lake objects under `prefix` in `bucket`. */
export async function s3LakeRecords(
  client: S3Client,
  bucket: string,
  prefix: string,
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  for (const o of listed.Contents ?? []) {
    if (!o.Key?.endsWith('.json.gz')) continue;
    const body = await client.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }));
    const text = gunzipSync(Buffer.from(await body.Body!.transformToByteArray())).toString('utf8');
    for (const line of text.split('\n')) if (line) out.push(JSON.parse(line) as Record<string, unknown>);
  }
  return out;
}
