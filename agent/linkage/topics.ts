// Topic names of the linkage contract (DESIGN.md). Fixed: the platform relies on them.
export function topicRoot(siteId: string): string {
  return `psv/v1/${siteId}`;
}

export const topics = {
  state: (site: string) => `${topicRoot(site)}/state`,
  birth: (site: string) => `${topicRoot(site)}/birth`,
  health: (site: string) => `${topicRoot(site)}/health`,
  event: (site: string) => `${topicRoot(site)}/event`,
  cameraStatus: (site: string, camera: string) => `${topicRoot(site)}/camera/${camera}/status`,
  request: (site: string, verb: string) => `${topicRoot(site)}/req/${verb}`,
  response: (site: string, verb: string) => `${topicRoot(site)}/res/${verb}`,
};
