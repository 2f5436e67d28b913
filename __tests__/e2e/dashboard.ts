/**
 * The monitoring after the main pipeline test (issue 15, "Metrics where Control Center cannot run"): Prometheus
 * scraped every service, the throughput and lag series have points in the window of the DAG runs just made, the
 * pipeline's own figures agree with what the pipeline test counted (dead letters, rows in Cassandra), and the
 * dashboard (a Prometheus console) renders its graphs in headless Chromium, saved beside the Airflow screenshot.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LOG_DIRECTORY as ARTIFACTS, waitFor } from '../../ops/deployment';
import { AirflowApi } from './airflow-api';
import { launchBrowser } from './browser';
import { DAG_ID } from './pipeline-driver';

interface PromSeries {
  readonly metric: Record<string, string>;
  readonly values?: [number, string][];
  readonly value?: [number, string];
}

/** A query of Prometheus' HTTP API; an error answer fails with Prometheus' own message. */
async function prometheus(baseUrl: string, api: 'query' | 'query_range', params: Record<string, string | number>): Promise<PromSeries[]> {
  const url = new URL(`/api/v1/${api}`, baseUrl);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, `${value}`);
  const response = await fetch(url);
  const body = (await response.json()) as { status: string; error?: string; data?: { result: PromSeries[] } };
  if (body.status !== 'success') throw new Error(`${url.href}: ${body.error ?? response.status}`);
  return body.data!.result;
}

/** The largest value of each series in the range, by the series' `label`. */
const peaks = (series: PromSeries[], label: string) =>
  Object.fromEntries(series.map((s) => [s.metric[label] ?? '', Math.max(...(s.values ?? []).map(([, v]) => Number(v)))]));

/** Call after the main pipeline test, whose `figures` (dead letters, rows in Cassandra) it checks the metrics against. */
export function dashboardTest(outputs: () => Record<string, string>, figures: Record<string, unknown>): void {
  test('the monitoring: every target scraped, throughput and lag with points for the run just made, the dashboard in a real browser', async () => {
    const { prometheus_url: url, monitoring_dashboard_url: dashboard, airflow_url, airflow_admin_user, airflow_admin_password } = outputs();
    expect(url).toBe('http://127.0.0.1:9091');
    const monitoring: Record<string, unknown> = {};
    figures.monitoring = monitoring;

    // Every service Prometheus scrapes answers.
    const up = await waitFor('every Prometheus target up', 3 * 60 * 1000, async () => {
      const targets = await prometheus(url, 'query', { query: 'up' });
      return targets.length > 0 && targets.every((t) => t.value?.[1] === '1') ? targets : undefined;
    }, 5000);
    const jobs = [...new Set(up.map((t) => t.metric.job))].sort();
    monitoring.jobs = jobs;
    expect(jobs).toEqual(['cassandra', 'kafka', 'node', 'pipeline', 'postgres', 'prometheus', 'spark-driver', 'spark-executors', 'spark-master', 'spark-worker', 'zookeeper']);

    // The window of the DAG runs the pipeline test made: from the first one's start to now.
    const airflow = new AirflowApi(airflow_url, airflow_admin_user, airflow_admin_password);
    const runs = (await airflow.request<{ dag_runs: { start_date: string | null }[] }>('GET', `/api/v2/dags/${DAG_ID}/dagRuns?limit=100`)).dag_runs;
    const start = Math.min(...runs.flatMap((r) => (r.start_date ? [Date.parse(r.start_date) / 1000] : [])));
    // A rate needs two scrapes: wait for the last records to have been seen twice.
    await new Promise((resolve) => setTimeout(resolve, 35 * 1000));
    const end = Date.now() / 1000;
    expect(end - start).toBeGreaterThan(0);
    monitoring.windowSeconds = Math.round(end - start);
    const range = { start: Math.floor(start), end: Math.ceil(end), step: 15 };

    const throughput = peaks(await prometheus(url, 'query_range', { query: 'pipeline:stage_records:rate1m', ...range }), 'stage');
    monitoring.peakRecordsPerSecond = throughput;
    for (const stage of ['fetched', 'stored', 'published', 'streamed', 'written', 'dead-lettered']) {
      expect({ stage, moved: (throughput[stage] ?? 0) > 0 }).toEqual({ stage, moved: true });
    }
    const lag = await prometheus(url, 'query_range', { query: 'pipeline:stream_lag_records:sum', ...range });
    expect(lag.map((s) => s.metric.topic)).toEqual(['users_created']);
    expect(lag[0].values!.length).toBeGreaterThan(2);
    monitoring.peakLag = peaks(lag, 'topic').users_created;

    // The pipeline's own figures agree with what the pipeline test counted in the topic and in Cassandra.
    // (The pipeline test counts the ingest stage's letters, and all the others together.)
    const deadLettered = figures.deadLettered as { ingest: number; stream: number };
    const counted = await waitFor('the dead letters counted', 60 * 1000, async () => {
      const byStage = Object.fromEntries((await prometheus(url, 'query', { query: 'pipeline:dead_letters:sum' })).map((s) => [s.metric.stage, Number(s.value![1])]));
      const total = Object.values(byStage).reduce((sum, n) => sum + n, 0);
      return total >= deadLettered.ingest + deadLettered.stream ? { byStage, total } : undefined;
    }, 5000);
    monitoring.deadLetters = counted.byStage;
    expect(counted.total).toBe(deadLettered.ingest + deadLettered.stream);
    expect(counted.byStage.ingest).toBe(deadLettered.ingest);
    const writes = Number((await prometheus(url, 'query', { query: 'sum(cassandra_table_writes_total)' }))[0].value![1]);
    expect(writes).toBeGreaterThanOrEqual(figures.inCassandra as number);
    monitoring.cassandraWrites = writes;
    // Every JVM's heap (the executors' come with their heartbeats, so they are not required here).
    const heap = await prometheus(url, 'query', { query: 'service:jvm_heap_used_bytes' });
    expect([...new Set(heap.map((s) => s.metric.job))]).toEqual(expect.arrayContaining(['cassandra', 'kafka', 'spark-driver', 'spark-master', 'spark-worker', 'zookeeper']));

    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      // The console's time range is in the URL's fragment: the run's window and some minutes before it.
      const timeRange = encodeURIComponent(JSON.stringify({ duration: Math.max(900, Math.ceil(end - start) + 300), endTime: 0 }));
      const response = await page.goto(`${dashboard}#pctc${timeRange}`);
      expect(response?.status()).toBe(200);
      // Each graph is drawn once its query answered: an SVG path per series.
      for (const graph of ['throughputGraph', 'lagGraph', 'heapGraph', 'cpuGraph']) {
        await page.locator(`#${graph} svg path`).first().waitFor({ state: 'attached', timeout: 60000 });
      }
      const text = await page.locator('body').innerText();
      expect(text).toContain('Throughput at each stage');
      expect(text).not.toMatch(/error (executing|expanding) template/i);
      const screenshot = path.join(ARTIFACTS, 'dashboard.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      monitoring.screenshot = path.relative(process.cwd(), screenshot);
      expect(fs.statSync(screenshot).size).toBeGreaterThan(10000);
    } finally {
      await browser.close();
    }
  }, 10 * 60 * 1000);
}
