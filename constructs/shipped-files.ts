import * as fs from 'fs';
import * as path from 'path';
import { ContainerUpload } from '@cdktf/provider-docker/lib/container';
import { AssetType, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { DeploymentTarget } from './deployment-target';

/** One local file and where it goes inside a container. */
export interface FileToShip {
  /** Absolute path of the local file. */
  readonly source: string;
  /** Absolute path inside the container. */
  readonly target: string;
  /**
   * Whether the file is executable in the container.
   * @default false
   */
  readonly executable?: boolean;
}

export interface ShippedFilesProps {
  readonly files: readonly FileToShip[];
}

/**
 * Files copied into a container after it is created and before it starts (the provider's `upload`).
 * Each file is a plan asset with a content hash, so editing a file changes the plan and `cdktf deploy`
 * replaces the containers that carry it.
 */
export class ShippedFiles extends Construct {
  /**
   * Every regular file under `directory` (recursively, in a stable order), mapped to the same relative
   * path under `targetDirectory`. Caches and compiled files are left out.
   */
  public static fromDirectory(directory: string, targetDirectory: string): FileToShip[] {
    if (!fs.existsSync(directory) || !fs.statSync(directory).isDirectory()) {
      throw new Error(`ShippedFiles: '${directory}' is not a directory`);
    }
    const files: FileToShip[] = [];
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        if (entry.name === '__pycache__' || entry.name.startsWith('.') || entry.name.endsWith('.pyc')) continue;
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.isFile()) {
          files.push({ source: full, target: path.posix.join(targetDirectory, path.relative(directory, full).split(path.sep).join('/')) });
        }
      }
    };
    walk(directory);
    return files;
  }

  /** The `upload` blocks for a container. */
  public readonly uploads: ContainerUpload[];

  constructor(scope: Construct, id: string, props: ShippedFilesProps) {
    super(scope, id);
    const maxBytes = DeploymentTarget.of(this).maxFileBytes;
    if (props.files.length === 0) throw new Error('ShippedFiles: files must not be empty');
    this.uploads = props.files.map((file) => {
      if (!path.isAbsolute(file.target)) {
        throw new Error(`ShippedFiles: target must be an absolute path inside the container, got '${file.target}'`);
      }
      if (!fs.existsSync(file.source)) throw new Error(`ShippedFiles: source file '${file.source}' does not exist`);
      const size = fs.statSync(file.source).size;
      if (maxBytes !== undefined && size > maxBytes) {
        throw new Error(`ShippedFiles: '${file.source}' is ${size} bytes; the deployment target ships a file of at most ${maxBytes}`);
      }
      const asset = new TerraformAsset(this, `File${file.target.replace(/[^A-Za-z0-9]/g, '_')}`, {
        path: file.source,
        type: AssetType.FILE,
      });
      return { file: file.target, source: asset.path, sourceHash: asset.assetHash, executable: file.executable ?? false };
    });
  }
}
