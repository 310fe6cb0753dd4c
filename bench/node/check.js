// Backstage's own parse and validation of a catalog folder, the comparison point of bench/mandate_check.py.
//
// Reads every *.yaml/*.yml below the given folders with js-yaml, then runs each document through what the
// Backstage catalog runs on an entity: the default entity policies (namespace default, no foreign root fields,
// field formats, envelope schema) and the built-in kind validators of @backstage/catalog-model.
// Prints one JSON line: files, documents, valid entities, invalid entities and the first few errors.
'use strict';

const fs = require('fs');
const path = require('path');
const yaml = require('js-yaml');
const model = require('@backstage/catalog-model');

function yamlFiles(target, found) {
  const stat = fs.statSync(target);
  if (stat.isFile()) {
    found.push(target);
    return found;
  }
  for (const name of fs.readdirSync(target).sort()) {
    if (name.startsWith('.') || name === 'node_modules') continue;
    const child = path.join(target, name);
    if (fs.statSync(child).isDirectory()) yamlFiles(child, found);
    else if (name.endsWith('.yaml') || name.endsWith('.yml')) found.push(child);
  }
  return found;
}

async function main() {
  const targets = process.argv.slice(2);
  const policy = model.EntityPolicies.allOf([
    new model.DefaultNamespaceEntityPolicy(),
    new model.NoForeignRootFieldsEntityPolicy(),
    new model.FieldFormatEntityPolicy(),
    new model.SchemaValidEntityPolicy(),
  ]);
  const validators = [
    model.componentEntityV1alpha1Validator,
    model.apiEntityV1alpha1Validator,
    model.resourceEntityV1alpha1Validator,
    model.groupEntityV1alpha1Validator,
    model.userEntityV1alpha1Validator,
    model.systemEntityV1alpha1Validator,
    model.domainEntityV1alpha1Validator,
    model.locationEntityV1alpha1Validator,
  ];
  const files = targets.flatMap(target => yamlFiles(target, []));
  let documents = 0;
  let valid = 0;
  const errors = [];
  for (const file of files) {
    const docs = yaml.loadAll(fs.readFileSync(file, 'utf8'));
    for (const doc of docs) {
      if (!doc) continue;
      documents += 1;
      try {
        const entity = await policy.enforce(doc);
        let known = false;
        for (const validator of validators) {
          if (await validator.check(entity)) {
            known = true;
            break;
          }
        }
        if (!known) throw new Error(`unknown kind ${doc.kind}`);
        valid += 1;
      } catch (error) {
        errors.push(`${file}: ${error.message}`);
      }
    }
  }
  process.stdout.write(
    JSON.stringify({ files: files.length, documents, valid, invalid: errors.length, errors: errors.slice(0, 5) }) +
      '\n',
  );
}

main().catch(error => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(2);
});
