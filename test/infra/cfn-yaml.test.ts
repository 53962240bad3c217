import { describe, expect, it } from 'vitest';
import { parseCfnYaml } from './support/cfn-yaml.js';

/* The template reader: what the templates use reads as CloudFormation reads it; the rest is refused. */

describe('parseCfnYaml', () => {
  it('reads mappings, sequences (also at the key’s indentation), scalars with YAML 1.2 core types, and comments', () => {
    const doc = parseCfnYaml(
      [
        "AWSTemplateFormatVersion: '2010-09-09' # a comment",
        'Outer:',
        '  Count: 3',
        '  Flag: true',
        '  Nothing: ~',
        "  Quoted: 'it''s # not a comment'",
        '  Double: "a\\tb \\"c\\""',
        "  Plain: the worker's queue#1 is a:b  # an apostrophe, # and : inside a plain scalar, then a comment",
        '  List:',
        '  - a',
        '  - key: v',
        '    other: w',
        '  - - nested',
        '    - list',
        '  aws:SourceArn: arn:aws:s3:::bucket',
      ].join('\n'),
    );
    expect(doc).toEqual({
      AWSTemplateFormatVersion: '2010-09-09',
      Outer: {
        Count: 3,
        Flag: true,
        Nothing: null,
        Quoted: "it's # not a comment",
        Double: 'a\tb "c"',
        Plain: "the worker's queue#1 is a:b",
        List: ['a', { key: 'v', other: 'w' }, ['nested', 'list']],
        'aws:SourceArn': 'arn:aws:s3:::bucket',
      },
    });
  });

  it('turns the short-form tags into intrinsic functions, in block and flow form', () => {
    const doc = parseCfnYaml(
      [
        'A: !Ref Bucket',
        'B: !GetAtt Queue.Arn',
        "C: !Sub 'arn:${AWS::Partition}:s3:::${BucketName}/*'",
        "D: !Select [4, !Split ['/', !Ref QueueUrl]]",
        'E: !If',
        '  - HasThing',
        '  - !Ref Thing',
        '  - !Ref AWS::NoValue',
        'F:',
        '  - !Equals [!Ref X, ""]',
        '  - !Condition Other',
        'G: []',
      ].join('\n'),
    );
    expect(doc).toEqual({
      A: { Ref: 'Bucket' },
      B: { 'Fn::GetAtt': ['Queue', 'Arn'] },
      C: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${BucketName}/*' },
      D: { 'Fn::Select': [4, { 'Fn::Split': ['/', { Ref: 'QueueUrl' }] }] },
      E: { 'Fn::If': ['HasThing', { Ref: 'Thing' }, { Ref: 'AWS::NoValue' }] },
      F: [{ 'Fn::Equals': [{ Ref: 'X' }, ''] }, { Condition: 'Other' }],
      G: [],
    });
  });

  it('reads literal and folded block scalars, keeping comment-like lines and blank lines inside', () => {
    const doc = parseCfnYaml(
      ['UserData: !Sub |', '  #!/bin/bash', '  echo ${X}', '', '    indented # kept', 'Strip: |-', '  no newline', 'Folded: >-', '  one', '  two', '', '  three', 'Next: 1'].join('\n'),
    );
    expect(doc).toEqual({
      UserData: { 'Fn::Sub': '#!/bin/bash\necho ${X}\n\n  indented # kept\n' },
      Strip: 'no newline',
      Folded: 'one two\nthree',
      Next: 1,
    });
  });

  it('refuses what it does not implement instead of misreading it', () => {
    const refused = [
      'A: &anchor 1',
      'A: *alias',
      'A: {b: 1}',
      'A: !Unknown x',
      'A: 1\nA: 2',
      'A: a long\n  plain scalar',
      '\tA: 1',
      '---\nA: 1',
      'A: |+\n  x',
      "A: 'open",
    ];
    for (const text of refused) expect(() => parseCfnYaml(text), JSON.stringify(text)).toThrow();
  });
});
