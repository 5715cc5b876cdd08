export { main } from './main.js';
export { functionName, packageJson, scaffold, type ScaffoldOptions } from './scaffold.js';
export { tarballSpecs } from './tarballs.js';
export { PACKAGE_DIR, TEMPLATE_PACKAGES, templateVersions, type TemplatePackage } from './versions.js';
