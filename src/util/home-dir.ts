/**
 * The user's home directory, as os.homedir() returns it: $HOME when set, else the password database
 * (node:os loads only then: it cost ~1.7 ms of every cold start).
 */
export function homeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOME || process.getBuiltinModule('node:os').homedir();
}
