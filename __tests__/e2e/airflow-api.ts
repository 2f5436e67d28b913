/** Airflow's REST API, as the end-to-end proof drives and inspects DAG runs with it. */
import { waitFor } from '../../ops/deployment';

/** Airflow 3's public REST API with a token from the FAB auth manager. */
export class AirflowApi {
  private token?: string;

  constructor(private readonly baseUrl: string, private readonly username: string, private readonly password: string) {}

  /** One call; T is the shape of the answer the caller reads. */
  public async request<T = unknown>(method: string, apiPath: string, body?: unknown): Promise<T> {
    if (!this.token) {
      const response = await fetch(`${this.baseUrl}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: this.username, password: this.password }),
      });
      if (!response.ok) throw new Error(`Airflow /auth/token answered ${response.status}: ${await response.text()}`);
      this.token = ((await response.json()) as { access_token: string }).access_token;
    }
    const response = await fetch(`${this.baseUrl}${apiPath}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`Airflow ${method} ${apiPath} answered ${response.status}: ${await response.text()}`);
    return response.json() as Promise<T>;
  }

  /** Triggers a run now, with the given params (`conf`), and returns its id. */
  public async trigger(dagId: string, conf: Record<string, unknown> = {}): Promise<string> {
    const run = await this.request<{ dag_run_id: string }>('POST', `/api/v2/dags/${dagId}/dagRuns`, { logical_date: null, conf });
    return run.dag_run_id;
  }

  public async runState(dagId: string, runId: string): Promise<string> {
    return (await this.request<{ state: string }>('GET', `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}`)).state;
  }

  /** Waits for the run to end and returns its final state. */
  public async runEnd(dagId: string, runId: string, timeoutMs = 10 * 60 * 1000): Promise<string> {
    return waitFor(`DAG run ${runId}`, timeoutMs, async () => {
      const state = await this.runState(dagId, runId);
      return state === 'success' || state === 'failed' ? state : undefined;
    }, 1000);
  }

  /** A task instance of a run: its state, try_number, when its try started, and id (the id a LocalExecutor process is titled with). */
  public async taskInstance(dagId: string, runId: string, taskId: string): Promise<{ id: string; state: string | null; try_number: number; start_date: string | null }> {
    return this.request('GET', `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances/${taskId}`);
  }

  /** The log of one try of a task, as text. */
  public async taskLog(dagId: string, runId: string, taskId: string, tryNumber: number): Promise<string> {
    return JSON.stringify(await this.request('GET', `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances/${taskId}/logs/${tryNumber}`));
  }
}
