/**
 * AWS Query-protocol calls (IAM, EC2, CloudWatch) straight to moto, for services whose SDK client
 * this repo does not install. moto routes on the service named in the Authorization header's
 * credential scope and does not verify signatures, so the header below is enough: this works
 * against moto only, which is all it is for.
 */

const VERSIONS: Readonly<Record<string, string>> = { iam: '2010-05-08', ec2: '2016-11-15', monitoring: '2010-08-01' };

export async function motoQuery(endpoint: string, service: keyof typeof VERSIONS & string, action: string, params: Readonly<Record<string, string>> = {}): Promise<string> {
  const version = VERSIONS[service];
  if (version === undefined) throw new Error(`no API version for ${service}`);
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({ Action: action, Version: version, ...params }).toString(),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${service} ${action}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  return text;
}

/** The text of every `<tag>…</tag>` (no nesting of the same tag), XML entities decoded. */
export function xmlAll(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => decodeEntities(m[1] as string));
}

export function xmlOne(xml: string, tag: string): string {
  const all = xmlAll(xml, tag);
  if (all.length !== 1) throw new Error(`expected one <${tag}>, found ${all.length} in ${xml.slice(0, 300)}`);
  return all[0] as string;
}

function decodeEntities(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/g, '&');
}

/** An AWS JSON-protocol call (CloudWatch Logs) to moto; the same routing as motoQuery. */
export async function motoJson(endpoint: string, service: string, target: string, body: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': target,
      authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${service} ${target}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as Record<string, unknown>;
}
