/**
 * The deploy-time settings that `npm run up` picks by itself when the user did not: where the images come
 * from, whether Control Center can run, and which users API the DAG reads. A setting given in the
 * environment wins; then one kept from the last `up` (so a second `up` does not swap what runs); otherwise
 * a probe decides. Each choice says what and why.
 */

/** The environment variables of main.ts that these choices set. */
export const CHOICE_VARIABLES = ['KP_IMAGE_SOURCE', 'KP_CONTROL_CENTER', 'KP_LOCAL_SOURCE_API'] as const;
export type ChoiceVariable = (typeof CHOICE_VARIABLES)[number];
export type ChoiceSettings = Partial<Record<ChoiceVariable, string>>;

export interface DeployChoices {
  /** Every choice variable's value for this deploy, given, kept or chosen (unset ones take main.ts's default). */
  readonly settings: ChoiceSettings;
  /** Whether the images must be built on the Docker host before deploying. */
  readonly hostImages: boolean;
  /** One line per choice: what, and why. */
  readonly lines: readonly string[];
}

/** Whether an address answers: undefined when it does, else why not (shown to the user). */
export type Reachability = (url: string) => Promise<string | undefined>;

/** Docker Hub, which serves every pinned public image (constructs/versions.ts). */
export const PUBLIC_REGISTRY_URL = 'https://registry-1.docker.io/v2/';
/** The users API the DAG reads by default (PIPELINE_SOURCE_URL's declared default). */
export const USERS_API_URL = 'https://randomuser.me/api/?results=1';

type Env = Readonly<Record<string, string | undefined>>;

/** A setting's value and where it came from. */
interface Setting {
  readonly value: string;
  readonly from: string;
}

/** The given value (from the environment), else the kept one, else undefined. */
function lookup(env: Env, kept: ChoiceSettings, name: ChoiceVariable): Setting | undefined {
  const given = env[name];
  if (given !== undefined && given !== '') return { value: given, from: `${name}=${given}, given` };
  const previous = kept[name];
  return previous === undefined ? undefined : { value: previous, from: `${name}=${previous}, kept from the last \`npm run up\`` };
}

interface Choice {
  readonly value?: string;
  readonly line: string;
}

async function chooseImages(env: Env, kept: ChoiceSettings, reach: Reachability): Promise<Choice> {
  const setting = lookup(env, kept, 'KP_IMAGE_SOURCE');
  if (setting !== undefined) {
    if (setting.value !== 'public' && setting.value !== 'host') throw new Error(`KP_IMAGE_SOURCE must be 'public' or 'host', got '${setting.value}'`);
    return { value: setting.value, line: `images: ${setting.value === 'host' ? 'built on the Docker host' : 'the pinned public images'} (${setting.from})` };
  }
  if (env.KP_IMAGE_MIRROR) return { line: `images: the pinned images from the mirror ${env.KP_IMAGE_MIRROR} (KP_IMAGE_MIRROR, given)` };
  const unreachable = await reach(PUBLIC_REGISTRY_URL);
  if (unreachable === undefined) return { value: 'public', line: `images: the pinned public images (${PUBLIC_REGISTRY_URL} answers)` };
  return {
    value: 'host',
    line: `images: built on the Docker host from Debian, Maven Central, PyPI and npm, since ${PUBLIC_REGISTRY_URL} does not answer (${unreachable})`,
  };
}

function chooseControlCenter(env: Env, kept: ChoiceSettings, hostImages: boolean): Choice {
  const setting = lookup(env, kept, 'KP_CONTROL_CENTER');
  if (setting !== undefined) {
    if (hostImages && setting.value !== 'false') {
      throw new Error(`Control Center needs the public images (${setting.from}): it is licensed software with no build on the host; set KP_CONTROL_CENTER=false or KP_IMAGE_SOURCE=public`);
    }
    return { value: setting.value, line: `Control Center: ${setting.value === 'false' ? 'off' : 'on'} (${setting.from})` };
  }
  if (hostImages) return { value: 'false', line: 'Control Center: off, since it is licensed software with no build on the host' };
  return { line: 'Control Center: on (KP_CONTROL_CENTER=false leaves it out)' };
}

async function chooseSourceApi(env: Env, kept: ChoiceSettings, reach: Reachability): Promise<Choice> {
  if (env.KP_PIPELINE_SOURCE_URL) return { line: `users API: ${env.KP_PIPELINE_SOURCE_URL} (KP_PIPELINE_SOURCE_URL, given)` };
  const setting = lookup(env, kept, 'KP_LOCAL_SOURCE_API');
  if (setting !== undefined) {
    return { value: setting.value, line: `users API: ${setting.value === 'true' ? 'the local stand-in for randomuser.me' : 'randomuser.me'} (${setting.from})` };
  }
  const unreachable = await reach(USERS_API_URL);
  if (unreachable === undefined) return { line: 'users API: randomuser.me (it answers)' };
  return { value: 'true', line: `users API: the local stand-in for randomuser.me (fake-randomuser), since randomuser.me does not answer (${unreachable})` };
}

/** The choices for this deploy: given in `env`, else kept from the last `up`, else decided by the probes. */
export async function chooseDeploySettings(env: Env, reach: Reachability, kept: ChoiceSettings = {}): Promise<DeployChoices> {
  // Both probes at once: each may wait for its timeout.
  const [images, sourceApi] = await Promise.all([chooseImages(env, kept, reach), chooseSourceApi(env, kept, reach)]);
  const hostImages = images.value === 'host';
  const controlCenter = chooseControlCenter(env, kept, hostImages);
  const settings: ChoiceSettings = {};
  if (images.value !== undefined) settings.KP_IMAGE_SOURCE = images.value;
  if (controlCenter.value !== undefined) settings.KP_CONTROL_CENTER = controlCenter.value;
  if (sourceApi.value !== undefined) settings.KP_LOCAL_SOURCE_API = sourceApi.value;
  return { settings, hostImages, lines: [images.line, controlCenter.line, sourceApi.line] };
}

/** The real probe: any HTTP answer within the timeout counts (Docker Hub answers 401 without a token). */
export function httpReachability(timeoutMs = 5000): Reachability {
  return async (url) => {
    try {
      const response = await fetch(url, { method: 'GET', signal: AbortSignal.timeout(timeoutMs) });
      await response.body?.cancel();
      return undefined;
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
    }
  };
}
