import { describe, expect, it } from 'vitest';
import { classifyAwsError } from '../../src/adapters/aws/aws-errors.js';
import { ErrorCodes, FatalError, isFatalError, isPermanentError, isTransientError, TransientError } from '../../src/domain/errors.js';

/**
 * Error objects shaped like the AWS SDK v3's (name, Code, $fault, $retryable, $metadata). This is
 * the one place where fakes are right: a loopback server cannot be made to throttle, expire a
 * token or answer 503 on demand. The contract suites cover what real servers do produce
 * (missing queue, missing key, connection refused, 412).
 */

const codes = { target: 'SQS queue https://sqs.example/123/jobs', unavailable: ErrorCodes.QueueUnavailable, rejected: ErrorCodes.Internal };

function sdkError(name: string, status: number | undefined, extra: Record<string, unknown> = {}): Error {
  const fault = status === undefined ? undefined : status >= 500 ? 'server' : 'client';
  return Object.assign(new Error(`${name} happened`), {
    name,
    ...(fault === undefined ? {} : { $fault: fault }),
    ...(status === undefined ? {} : { $metadata: { httpStatusCode: status, requestId: 'r-1', attempts: 3 } }),
    ...extra,
  });
}

function errno(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:443`), { code, errno: -1, syscall: 'connect' });
}

describe('classifyAwsError', () => {
  it.each([
    ['ThrottlingException', 400],
    ['RequestThrottled', 403],
    ['SlowDown', 503],
    ['TooManyRequestsException', 429],
    ['SomethingNew', 429],
    ['InternalError', 500],
    ['ServiceUnavailable', 503],
    ['BadGateway', 502],
  ])('treats %s (HTTP %s) as transient', (name, status) => {
    const error = classifyAwsError(sdkError(name, status), codes);
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: ErrorCodes.QueueUnavailable, retryable: true });
    expect(error.message).toContain(codes.target);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('trusts the SDK marking an error retryable', () => {
    const error = classifyAwsError(sdkError('ProvisionedSomething', 400, { $retryable: { throttling: true } }), codes);
    expect(isTransientError(error)).toBe(true);
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'])('treats the network error %s as transient', (code) => {
    expect(classifyAwsError(errno(code), codes)).toMatchObject({ code: ErrorCodes.QueueUnavailable, retryable: true });
  });

  it('treats the HTTP handler timeout and an abort as transient', () => {
    expect(isTransientError(classifyAwsError(sdkError('TimeoutError', undefined), codes))).toBe(true);
    expect(isTransientError(classifyAwsError(sdkError('AbortError', undefined), codes))).toBe(true);
  });

  it.each([
    ['CredentialsProviderError', undefined],
    ['InvalidClientTokenId', 403],
    ['UnrecognizedClientException', 400],
    ['ExpiredToken', 400],
    ['ExpiredTokenException', 400],
    ['InvalidAccessKeyId', 403],
    ['SignatureDoesNotMatch', 403],
  ])('makes the credentials problem %s fatal, saying what to fix', (name, status) => {
    const error = classifyAwsError(sdkError(name, status), codes);
    expect(error).toBeInstanceOf(FatalError);
    expect(error.code).toBe(ErrorCodes.ConfigInvalid);
    expect(error.message).toMatch(/AWS_ACCESS_KEY_ID|instance profile/);
    expect(error.message).toContain(name);
  });

  it('makes a missing queue fatal, naming its URL, under either code SQS uses', () => {
    for (const err of [
      sdkError('QueueDoesNotExist', 400),
      sdkError('AWS.SimpleQueueService.NonExistentQueue', 400),
      sdkError('QueueDoesNotExist', 400, { Code: 'AWS.SimpleQueueService.NonExistentQueue' }),
    ]) {
      const error = classifyAwsError(err, codes);
      expect(isFatalError(error)).toBe(true);
      expect(error).toMatchObject({ code: ErrorCodes.ConfigInvalid, message: expect.stringContaining('https://sqs.example/123/jobs') as string });
    }
  });

  it('makes a missing region fatal', () => {
    const error = classifyAwsError(new Error('Region is missing'), codes);
    expect(error).toMatchObject({ code: ErrorCodes.ConfigInvalid, message: expect.stringContaining('AWS_REGION') as string });
  });

  it.each([
    ['InvalidParameterValue', 400],
    ['BatchEntryIdsNotDistinct', 400],
    ['AccessDenied', 403],
    ['MethodNotAllowed', 405],
  ])('treats any other client error (%s, HTTP %s) as permanent with the adapter\'s code', (name, status) => {
    const error = classifyAwsError(sdkError(name, status), codes);
    expect(isPermanentError(error)).toBe(true);
    expect(error).toMatchObject({ code: ErrorCodes.Internal, details: { awsCode: name, httpStatus: status } });
  });

  it('reads the code from `Code` when the exception name is generic', () => {
    const error = classifyAwsError(sdkError('S3ServiceException', 503, { Code: 'SlowDown' }), codes);
    expect(isTransientError(error)).toBe(true);
    expect(error.message).toContain('S3ServiceException');
  });

  it('keeps an error that is already ours, and treats an unknown non-HTTP failure as transient', () => {
    const ours = new FatalError(ErrorCodes.DependencyMissing, 'x');
    expect(classifyAwsError(ours, codes)).toBe(ours);
    expect(isTransientError(classifyAwsError(new Error('socket hang up'), codes))).toBe(true);
    expect(isTransientError(classifyAwsError('a string', codes))).toBe(true);
  });
});
