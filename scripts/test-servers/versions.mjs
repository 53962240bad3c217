// The pinned servers the tests run on loopback. Cache entries are keyed by these values, so a
// changed pin provisions afresh on the next start.
import { fileURLToPath, URL } from 'node:url';

export const region = 'us-east-1';
export const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/**
 * OpenSearch 2.19 runs on Java 17 (3.x needs 21+). 2.19.6 is the newest 2.19 on Maven Central;
 * its maven-metadata.xml lags (it lists 2.19.0, 2.19.1 and 2.19.6 only), so probe the file itself.
 */
export const opensearch = {
  version: '2.19.6',
  distribution: 'org.opensearch.distribution.integ-test-zip:opensearch:2.19.6:zip',
  javaMajors: [17, 21],
  /**
   * The integ-test zip carries only transport-netty4. These are the official 2.19.6 jars of two
   * modules every real distribution (and Amazon OpenSearch Service) has: analysis-common holds
   * lowercase, cjk_width, cjk_bigram and the cjk analyzer; lang-painless runs scripted updates.
   * Maven Central publishes module jars, not module zips, so the descriptors are written here.
   */
  modules: [
    {
      name: 'lang-painless',
      classname: 'org.opensearch.painless.PainlessPlugin',
      description: 'An easy, safe and fast scripting language for OpenSearch',
      extendedPlugins: [],
      // The module's own plugin-security.policy: Painless compiles scripts into classes.
      permissions: ['java.lang.RuntimePermission "createClassLoader"', 'java.lang.RuntimePermission "getClassLoader"'],
      artifacts: [
        'org.opensearch.plugin:lang-painless:2.19.6',
        'org.opensearch.plugin:opensearch-scripting-painless-spi:2.19.6',
        'org.antlr:antlr4-runtime:4.13.1',
        'org.ow2.asm:asm:9.7',
        'org.ow2.asm:asm-analysis:9.7',
        'org.ow2.asm:asm-commons:9.7',
        'org.ow2.asm:asm-tree:9.7',
        'org.ow2.asm:asm-util:9.7',
      ],
    },
    {
      name: 'analysis-common',
      classname: 'org.opensearch.analysis.common.CommonAnalysisPlugin',
      description: 'Adds "built in" analyzers to OpenSearch.',
      extendedPlugins: ['lang-painless'],
      permissions: [],
      artifacts: ['org.opensearch.plugin:analysis-common:2.19.6'],
    },
  ],
  /**
   * Japanese morphological analysis. Maven Central has no analysis-kuromoji zip for any version and
   * no jar for 2.17–3.7; the newest 2.x jar is 2.16.0 (its classes are unchanged up to 3.8.0). It is
   * packaged with the Lucene kuromoji jar of the Lucene that 2.19.6 ships (9.12.3) and installed with
   * `opensearch-plugin install`; startup then runs the kuromoji tokenizer once to prove it works.
   */
  plugins: [
    {
      name: 'analysis-kuromoji',
      version: '2.16.0',
      classname: 'org.opensearch.plugin.analysis.kuromoji.AnalysisKuromojiPlugin',
      description: 'The Japanese (kuromoji) Analysis plugin (2.16.0 plugin jar, Lucene 9.12.3 kuromoji), assembled for tests.',
      extendedPlugins: [],
      permissions: [],
      artifacts: ['org.opensearch.plugin:analysis-kuromoji:2.16.0', 'org.apache.lucene:lucene-analysis-kuromoji:9.12.3'],
    },
  ],
};

/** SQS API. A library jar with ~40 dependencies: Maven resolves the runtime classpath once. */
export const elasticmq = {
  version: '1.7.1',
  artifact: { groupId: 'org.elasticmq', artifactId: 'elasticmq-server_2.13', version: '1.7.1' },
  mainClass: 'org.elasticmq.server.Main',
  dependencyPlugin: 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1',
};

/** SQS and S3 APIs on one port, from PyPI into a venv in the cache. */
export const moto = {
  version: '5.2.5',
  requirements: fileURLToPath(new URL('./moto-requirements.txt', import.meta.url)),
  minPython: [3, 9],
};
