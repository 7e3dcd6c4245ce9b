import { LABEL_DEPLOYMENT, LABEL_MANAGED_BY, LABEL_REVISION, MANAGED_BY } from '../api/names.js';

export const APP_NAME = 'goassist-runtime';

/** Labels of every object a GoAssistDeployment owns. */
export function commonLabels(name: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': APP_NAME,
    'app.kubernetes.io/instance': name,
    [LABEL_MANAGED_BY]: MANAGED_BY,
    [LABEL_DEPLOYMENT]: name,
  };
}

/** Labels of the objects of one revision. */
export function revisionLabels(name: string, revision: string): Record<string, string> {
  return { ...commonLabels(name), [LABEL_REVISION]: revision };
}

/** The selector of one revision's pods (immutable on a Deployment, so only these two keys). */
export function revisionSelector(name: string, revision: string): Record<string, string> {
  return { [LABEL_DEPLOYMENT]: name, [LABEL_REVISION]: revision };
}

export function revisionObjectName(name: string, revision: string): string {
  return `${name}-${revision}`;
}
