/** An AWS SDK call's failure as a test reads it: the error code, the HTTP status and the message. */
export async function sdkFailure(
  p: Promise<unknown>,
): Promise<{ name: string; status?: number; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('expected the call to fail');
}
