/**
 * The environment for tools we start (tesseract, poppler): ours plus a few overrides. It lives in
 * src/config because this folder is the only one that reads process.env.
 */
export function childEnvironment(overrides: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  return { ...process.env, ...overrides };
}
