// Messages between the soak and its simulator processes (child_process.fork IPC, JSON).

export interface SimulatedCameraInfo {
  id: string;
  deviceServiceUrl: string;
  username: string;
  password: string;
}

export type SimulatorOp =
  | { op: 'offline'; on: boolean }
  | { op: 'condition'; condition: 'ok' | 'blur' }
  | { op: 'config'; patch: { fps?: number; bitrate?: number } };

export type ToSimulator =
  | { type: 'start'; cameras: { id: string; port: number }[] }
  | ({ type: 'op'; req: number; camera: string } & SimulatorOp)
  | { type: 'stop' };

export type FromSimulator =
  | { type: 'ready'; cameras: SimulatedCameraInfo[] }
  | { type: 'failed'; error: string }
  | { type: 'done'; req: number; error?: string }
  | { type: 'stopped' };
