import { type Browser, chromium } from 'playwright-core';
import { DAG_ID } from '../../ops/deployment';

/** Headless Chromium as the end-to-end proof opens UIs: Debian's (browser downloads are unreachable), or CHROMIUM_PATH. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * The Airflow UI at the stack's `airflow_url` in Chromium: logs in with the stack's admin login, opens the DAG's runs
 * and waits for the DAG and a successful run to show, then saves a screenshot of the page to `screenshot`.
 */
export async function airflowDagRunsInBrowser(outputs: Record<string, string>, screenshot: string): Promise<void> {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${outputs.airflow_url}/auth/login/`);
    await page.fill('input[name="username"]', outputs.airflow_admin_user);
    await page.fill('input[name="password"]', outputs.airflow_admin_password);
    await Promise.all([page.waitForLoadState('networkidle'), page.click('[type="submit"]')]);
    await page.goto(`${outputs.airflow_url}/dags/${DAG_ID}/runs`);
    await page.getByText(DAG_ID).first().waitFor({ timeout: 60000 });
    await page.getByText(/success/i).first().waitFor({ timeout: 60000 });
    await page.screenshot({ path: screenshot, fullPage: true });
  } finally {
    await browser.close();
  }
}
