/** API group, version and names of the GoAssistDeployment kind (ARCHITECTURE.md "GoAssistDeployment", contract). */
export const GROUP = 'goassist.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}` as const;
export const KIND = 'GoAssistDeployment';
export const PLURAL = 'goassistdeployments';
export const SINGULAR = 'goassistdeployment';
export const SHORT_NAMES = ['gad'];
export const CATEGORIES = ['goassist'];

/** Labels every child carries (ARCHITECTURE.md "Revisions"). */
export const LABEL_DEPLOYMENT = 'goassist.io/deployment';
export const LABEL_REVISION = 'goassist.io/revision';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'goassist-operator';

/** The one field manager the operator uses for server-side apply. */
export const FIELD_MANAGER = 'goassist-operator';
