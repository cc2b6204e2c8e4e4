/**
 * Reads and checks the gateway's TLS files (`listen.tls.*`): the certificate chain, its private
 * key and optional extra chain certificates, all PEM. Used at start (by the configuration loader,
 * so a bad file stops the start with the other configuration problems) and on every reload (SIGHUP),
 * so a file is judged by one rule whenever it is read.
 *
 * Every problem is a ConfigError naming the file by its resolved absolute path. The key's text
 * never appears in a message: OpenSSL's reasons are kept, the PEM is not.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { ConfigError } from './config-error';

/** The files as configured (absolute paths: the loader resolves them). */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
  caFile?: string;
}

/** What may be logged about the certificate in use. */
export interface CertificateSummary {
  subject: string;
  /** Subject alternative names as the certificate lists them (`DNS:localhost, IP Address:127.0.0.1`). */
  subjectAltName?: string;
  notAfter: Date;
  /** SHA-256 fingerprint of the leaf certificate (colon-separated hex). */
  fingerprint256: string;
  /** Certificates sent to clients: the leaf, its chain, then the extra chain certificates. */
  chainLength: number;
}

export interface TlsMaterial {
  /** For `https.createServer` and `server.setSecureContext`. Holds the key: never log it. */
  options: Pick<SecureContextOptions, 'cert' | 'key'>;
  certificate: CertificateSummary;
}

/** A PEM file larger than this is not a certificate chain or a key (a long chain is ~10 KiB). */
export const MAX_TLS_FILE_BYTES = 1024 * 1024;

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----\r?\n[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Reads the files, checks that each holds what it should and that the key belongs to the first
 * certificate, and returns the options a TLS server takes. The extra chain certificates (`caFile`)
 * are sent after the certificate file's own, as Node's `cert` option expects a chain.
 * Throws ConfigError (CONFIG_FILE_UNREADABLE or CONFIG_INVALID) naming the absolute path.
 * @example
 * const { options, certificate } = readTlsFiles({ certFile: '/etc/countersign/tls/cert.pem', keyFile: '/etc/countersign/tls/key.pem' });
 * https.createServer(options, handler);
 * certificate.notAfter; // when to renew
 */
export function readTlsFiles(files: TlsFiles): TlsMaterial {
  const certPem = readPem(files.certFile, 'listen.tls.certFile');
  const keyPem = readPem(files.keyFile, 'listen.tls.keyFile');
  const caPem = files.caFile === undefined ? undefined : readPem(files.caFile, 'listen.tls.caFile');

  const chain = certificates(certPem, files.certFile, 'listen.tls.certFile');
  const extra = caPem === undefined ? [] : certificates(caPem, files.caFile!, 'listen.tls.caFile');
  const key = privateKey(keyPem, files.keyFile);
  const leaf = chain[0]!.certificate;
  if (!leaf.checkPrivateKey(key)) {
    throw new ConfigError('CONFIG_INVALID', [`listen.tls.keyFile ${files.keyFile}: the key does not belong to the first certificate of ${files.certFile}; for example the key.pem made with that cert.pem`]);
  }

  const cert = [...chain, ...extra].map((c) => c.pem).join('\n') + '\n';
  const options = { cert, key: keyPem };
  try {
    // What OpenSSL itself would refuse (a key too weak for its security level, say) is found now, not at the first handshake.
    createSecureContext(options);
  } catch (error) {
    throw new ConfigError('CONFIG_INVALID', [`listen.tls.certFile ${files.certFile} with listen.tls.keyFile ${files.keyFile}: OpenSSL refuses them: ${reason(error)}`]);
  }
  return {
    options,
    certificate: {
      subject: leaf.subject.replace(/\n/g, ', '),
      ...(leaf.subjectAltName ? { subjectAltName: leaf.subjectAltName } : {}),
      notAfter: new Date(leaf.validTo),
      fingerprint256: leaf.fingerprint256,
      chainLength: chain.length + extra.length,
    },
  };
}

function readPem(path: string, key: string): string {
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_TLS_FILE_BYTES) throw new ConfigError('CONFIG_INVALID', [`${key} ${path}: larger than ${MAX_TLS_FILE_BYTES} bytes; a PEM certificate chain or key is a few KiB`]);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError('CONFIG_FILE_UNREADABLE', [`${key} ${path}: ${code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${code ?? reason(error)})`}`]);
  }
  return text;
}

function certificates(text: string, path: string, key: string): { pem: string; certificate: X509Certificate }[] {
  const blocks = text.match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) {
    throw new ConfigError('CONFIG_INVALID', [`${key} ${path}: holds no PEM certificate; for example a file that starts with -----BEGIN CERTIFICATE-----`]);
  }
  return blocks.map((pem, i) => {
    try {
      return { pem, certificate: new X509Certificate(pem) };
    } catch (error) {
      throw new ConfigError('CONFIG_INVALID', [`${key} ${path}: certificate ${i + 1} cannot be parsed: ${reason(error)}`]);
    }
  });
}

function privateKey(text: string, path: string): KeyObject {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw new ConfigError('CONFIG_INVALID', [`listen.tls.keyFile ${path}: holds no PEM private key; for example a file that starts with -----BEGIN PRIVATE KEY-----`]);
  }
  try {
    return createPrivateKey({ key: text, format: 'pem' });
  } catch (error) {
    const encrypted = (error as NodeJS.ErrnoException).code === 'ERR_MISSING_PASSPHRASE' || /ENCRYPTED/.test(text);
    // OpenSSL's reason only: the message must never carry the key's text.
    throw new ConfigError('CONFIG_INVALID', [
      `listen.tls.keyFile ${path}: ${encrypted ? 'the key is encrypted; give the gateway an unencrypted key and protect the file with its permissions (chmod 600)' : `the private key cannot be parsed: ${reason(error)}`}`,
    ]);
  }
}

function reason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 200);
}
