/**
 * The demo Graph API's Intune objects beyond apps, PowerShell scripts, approval policies and roles:
 * what Intune Multi Admin Approval protects (compliance policies, configuration policies, device
 * actions, tenant configuration, every script kind, resource operations), shaped as Graph returns
 * them, with the sub-routes and actions the profile types in config/profile-types name. Managed
 * devices carry the routine actions too (sync, reboot, lock, locate), which the policy leaves
 * unprotected on purpose, so the demo shows both.
 */
import { randomUUID } from 'node:crypto';
import { arrayField, GraphError, makeCollection, type Collection, type GraphObject, type ItemAction } from './graph-collection';

const CREATED = '2026-11-01T09:00:00Z';

/** An assignment to a group, as Graph lists one. */
function groupAssignment(id: string, groupId: string, odataType: string): GraphObject {
  return { id, '@odata.type': odataType, target: { '@odata.type': '#microsoft.graph.groupAssignmentTarget', groupId } };
}

/** A device action that sets the device's state and answers 204, as Graph's do (the device acts on its next check-in). */
function deviceAction(change: (device: GraphObject, input: Record<string, unknown>) => void): ItemAction {
  return {
    example: {},
    run(device, input) {
      change(device, input);
      return { status: 204 };
    },
  };
}

function compliancePolicies(): Collection[] {
  const windows: GraphObject = {
    id: 'cp-windows',
    '@odata.type': '#microsoft.graph.windows10CompliancePolicy',
    displayName: 'Windows: BitLocker and Defender',
    description: 'Corporate Windows devices must encrypt and run Defender',
    bitLockerEnabled: true,
    defenderEnabled: true,
    osMinimumVersion: '10.0.19045',
    version: 3,
    createdDateTime: CREATED,
    lastModifiedDateTime: CREATED,
  };
  const ios: GraphObject = {
    id: 'cp-ios',
    '@odata.type': '#microsoft.graph.iosCompliancePolicy',
    displayName: 'iOS: passcode and no jailbreak',
    description: 'Phones need a six-digit passcode',
    passcodeRequired: true,
    passcodeMinimumLength: 6,
    securityBlockJailbrokenDevices: true,
    version: 1,
    createdDateTime: CREATED,
    lastModifiedDateTime: CREATED,
  };
  const rule = (id: string, gracePeriodHours: number): GraphObject => ({
    id,
    '@odata.type': '#microsoft.graph.deviceComplianceScheduledActionForRule',
    ruleName: 'PasswordRequired',
    scheduledActionConfigurations: [{ id: `${id}-block`, actionType: 'block', gracePeriodHours, notificationTemplateId: '', notificationMessageCCList: [] }],
  });
  const deviceCompliance = makeCollection('/deviceManagement/deviceCompliancePolicies', '#microsoft.graph.deviceCompliancePolicy', ['displayName'], [windows, ios], {
    assignField: 'assignments',
    example: { '@odata.type': '#microsoft.graph.windows10CompliancePolicy', displayName: 'Windows: Secure Boot', secureBootEnabled: true },
    children: {
      assignments: '#microsoft.graph.deviceCompliancePolicyAssignment',
      scheduledActionsForRule: '#microsoft.graph.deviceComplianceScheduledActionForRule',
    },
    seedChildren: {
      'cp-windows': {
        assignments: [groupAssignment('cp-windows_all-devices', 'all-devices', '#microsoft.graph.deviceCompliancePolicyAssignment')],
        scheduledActionsForRule: [rule('rule-windows', 0)],
      },
      'cp-ios': { scheduledActionsForRule: [rule('rule-ios', 72)] },
    },
    actions: {
      // Replaces the actions for non-compliance in one call (Graph answers 204).
      scheduleActionsForRules: {
        example: { deviceComplianceScheduledActionForRules: [{ ruleName: 'PasswordRequired', scheduledActionConfigurations: [{ actionType: 'block', gracePeriodHours: 24 }] }] },
        run(item, input, collection) {
          const rules = arrayField(input, 'deviceComplianceScheduledActionForRules');
          const kinds = collection.childItems.get(item.id) ?? collection.childItems.set(item.id, new Map()).get(item.id)!;
          kinds.set('scheduledactionsforrule', new Map(rules.map((r) => {
            const id = randomUUID();
            return [id, { ...(r as Record<string, unknown>), id, '@odata.type': '#microsoft.graph.deviceComplianceScheduledActionForRule' }];
          })));
          item.lastModifiedDateTime = new Date().toISOString();
          return { status: 204 };
        },
      },
    },
  });
  // Beta's settings-catalog compliance policies (Linux, and the newer platforms).
  const linux: GraphObject = {
    id: 'ccp-linux',
    '@odata.type': '#microsoft.graph.deviceManagementCompliancePolicy',
    name: 'Linux: disk encryption',
    displayName: 'Linux: disk encryption',
    description: 'Ubuntu desktops must encrypt their disks',
    platforms: 'linux',
    technologies: 'linuxMdm',
    settingCount: 1,
    createdDateTime: CREATED,
    lastModifiedDateTime: CREATED,
  };
  const settingsCompliance = makeCollection('/deviceManagement/compliancePolicies', '#microsoft.graph.deviceManagementCompliancePolicy', ['name'], [linux], {
    assignField: 'assignments',
    example: { name: 'Linux: password', platforms: 'linux', technologies: 'linuxMdm', settings: [] },
    children: {
      settings: '#microsoft.graph.deviceManagementConfigurationSetting',
      assignments: '#microsoft.graph.deviceManagementConfigurationPolicyAssignment',
      scheduledActionsForRule: '#microsoft.graph.deviceManagementComplianceScheduledActionForRule',
    },
    seedChildren: {
      'ccp-linux': {
        settings: [{ id: '0', '@odata.type': '#microsoft.graph.deviceManagementConfigurationSetting', settingInstance: { settingDefinitionId: 'linux_deviceencryption_required', choiceSettingValue: { value: 'linux_deviceencryption_required_true' } } }],
        assignments: [groupAssignment('ccp-linux_all-devices', 'all-devices', '#microsoft.graph.deviceManagementConfigurationPolicyAssignment')],
        scheduledActionsForRule: [{ id: 'rule-linux', '@odata.type': '#microsoft.graph.deviceManagementComplianceScheduledActionForRule', ruleName: 'PasswordRequired' }],
      },
    },
  });
  return [deviceCompliance, settingsCompliance];
}

function configurationPolicies(): Collection[] {
  const bitlocker: GraphObject = {
    id: 'sc-bitlocker',
    '@odata.type': '#microsoft.graph.deviceManagementConfigurationPolicy',
    name: 'Windows: BitLocker',
    displayName: 'Windows: BitLocker',
    description: 'Encrypts the OS drive with XTS-AES 256',
    platforms: 'windows10',
    technologies: 'mdm',
    settingCount: 2,
    roleScopeTagIds: ['0'],
    createdDateTime: CREATED,
    lastModifiedDateTime: CREATED,
  };
  const setting = (id: string, definition: string, value: string): GraphObject => ({
    id,
    '@odata.type': '#microsoft.graph.deviceManagementConfigurationSetting',
    settingInstance: { '@odata.type': '#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance', settingDefinitionId: definition, choiceSettingValue: { value } },
  });
  const settingsCatalog = makeCollection('/deviceManagement/configurationPolicies', '#microsoft.graph.deviceManagementConfigurationPolicy', ['name'], [bitlocker], {
    assignField: 'assignments',
    example: { name: 'Windows: Firewall', platforms: 'windows10', technologies: 'mdm', settings: [] },
    children: {
      settings: '#microsoft.graph.deviceManagementConfigurationSetting',
      assignments: '#microsoft.graph.deviceManagementConfigurationPolicyAssignment',
    },
    seedChildren: {
      'sc-bitlocker': {
        settings: [
          setting('0', 'device_vendor_msft_bitlocker_requiredeviceencryption', 'device_vendor_msft_bitlocker_requiredeviceencryption_1'),
          setting('1', 'device_vendor_msft_bitlocker_encryptionmethodbydrivetype', 'device_vendor_msft_bitlocker_encryptionmethodbydrivetype_1'),
        ],
        assignments: [groupAssignment('sc-bitlocker_all-devices', 'all-devices', '#microsoft.graph.deviceManagementConfigurationPolicyAssignment')],
      },
    },
    actions: {
      // Beta: a copy with a new name; Graph answers 200 with the copy.
      createCopy: {
        example: { displayName: 'Windows: BitLocker (copy)', description: 'Copied in the demo' },
        run(item, input, collection) {
          if (typeof input.displayName !== 'string' || input.displayName === '') throw new GraphError(400, 'BadRequest', "the property 'displayName' is required");
          const at = new Date().toISOString();
          const copy: GraphObject = { ...item, id: randomUUID(), name: input.displayName, displayName: input.displayName, description: input.description ?? item.description, createdDateTime: at, lastModifiedDateTime: at };
          collection.items.set(copy.id, copy);
          return { status: 200, body: copy };
        },
      },
    },
  });
  const restrictions: GraphObject = {
    id: 'dc-restrictions',
    '@odata.type': '#microsoft.graph.windows10GeneralConfiguration',
    displayName: 'Windows: device restrictions',
    description: 'No consumer features, no Store for personal accounts',
    experienceBlockConsumerFeatures: true,
    version: 2,
    createdDateTime: CREATED,
    lastModifiedDateTime: CREATED,
  };
  const wifi: GraphObject = {
    id: 'dc-wifi',
    '@odata.type': '#microsoft.graph.iosWiFiConfiguration',
    displayName: 'iOS: Contoso Wi-Fi',
    description: 'Joins the corporate network',
    ssid: 'Contoso',
    wiFiSecurityType: 'wpaEnterprise',
    version: 1,
    createdDateTime: CREATED,
    lastModifiedDateTime: CREATED,
  };
  const deviceConfigurations = makeCollection('/deviceManagement/deviceConfigurations', '#microsoft.graph.deviceConfiguration', ['displayName'], [restrictions, wifi], {
    assignField: 'assignments',
    example: { '@odata.type': '#microsoft.graph.windows10GeneralConfiguration', displayName: 'Windows: screen lock', passwordMinutesOfInactivityBeforeScreenTimeout: 15 },
    children: {
      assignments: '#microsoft.graph.deviceConfigurationAssignment',
      groupAssignments: '#microsoft.graph.deviceConfigurationGroupAssignment',
    },
    seedChildren: {
      'dc-restrictions': {
        assignments: [groupAssignment('dc-restrictions_all-devices', 'all-devices', '#microsoft.graph.deviceConfigurationAssignment')],
        groupAssignments: [{ id: 'dc-restrictions_helpdesk', '@odata.type': '#microsoft.graph.deviceConfigurationGroupAssignment', targetGroupId: 'helpdesk', excludeGroup: false }],
      },
    },
  });
  return [settingsCatalog, deviceConfigurations];
}

function tenantConfiguration(): Collection[] {
  const categories: GraphObject[] = [
    { id: 'cat-corporate', '@odata.type': '#microsoft.graph.deviceCategory', displayName: 'Corporate laptop', description: 'Gets the full corporate profile set', roleScopeTagIds: ['0'] },
    { id: 'cat-kiosk', '@odata.type': '#microsoft.graph.deviceCategory', displayName: 'Kiosk', description: 'Shared single-app devices', roleScopeTagIds: ['0'] },
  ];
  return [makeCollection('/deviceManagement/deviceCategories', '#microsoft.graph.deviceCategory', ['displayName'], categories)];
}

function resourceOperations(): Collection[] {
  const operations: GraphObject[] = [
    { id: 'op-apps-assign', '@odata.type': '#microsoft.graph.resourceOperation', resourceName: 'Mobile apps', actionName: 'Assign', description: 'Assign mobile apps to groups' },
    { id: 'op-devices-wipe', '@odata.type': '#microsoft.graph.resourceOperation', resourceName: 'Remote tasks', actionName: 'Wipe', description: 'Factory reset a device' },
  ];
  return [
    makeCollection('/deviceManagement/resourceOperations', '#microsoft.graph.resourceOperation', ['resourceName', 'actionName'], operations, {
      example: { resourceName: 'Remote tasks', actionName: 'Retire', description: 'Retire a device' },
    }),
  ];
}

/** The script kinds beyond Windows PowerShell scripts (deviceManagementScripts, seeded in graph-api.ts). */
function scripts(): Collection[] {
  const content = (text: string): string => Buffer.from(text).toString('base64');
  const shell = makeCollection(
    '/deviceManagement/deviceShellScripts',
    '#microsoft.graph.deviceShellScript',
    ['displayName', 'scriptContent'],
    [
      {
        id: 'sh-1',
        '@odata.type': '#microsoft.graph.deviceShellScript',
        displayName: 'Set macOS login banner',
        fileName: 'login-banner.sh',
        runAsAccount: 'system',
        executionFrequency: 'P1D',
        retryCount: 3,
        scriptContent: content('#!/bin/sh\ndefaults write /Library/Preferences/com.apple.loginwindow LoginwindowText "Contoso"\n'),
        createdDateTime: CREATED,
        lastModifiedDateTime: CREATED,
      },
    ],
    {
      assignField: 'deviceManagementScriptAssignments',
      children: { assignments: '#microsoft.graph.deviceManagementScriptAssignment', groupAssignments: '#microsoft.graph.deviceManagementScriptGroupAssignment' },
      seedChildren: { 'sh-1': { assignments: [groupAssignment('sh-1_all-devices', 'all-devices', '#microsoft.graph.deviceManagementScriptAssignment')], groupAssignments: [{ id: 'sh-1_helpdesk', targetGroupId: 'helpdesk' }] } },
    },
  );
  const health = makeCollection(
    '/deviceManagement/deviceHealthScripts',
    '#microsoft.graph.deviceHealthScript',
    ['displayName', 'detectionScriptContent'],
    [
      {
        id: 'hs-1',
        '@odata.type': '#microsoft.graph.deviceHealthScript',
        displayName: 'Restart stopped print spooler',
        publisher: 'Contoso IT',
        runAsAccount: 'system',
        detectionScriptContent: content('if ((Get-Service Spooler).Status -ne "Running") { exit 1 }\n'),
        remediationScriptContent: content('Start-Service Spooler\n'),
        createdDateTime: CREATED,
        lastModifiedDateTime: CREATED,
      },
    ],
    {
      assignField: 'deviceHealthScriptAssignments',
      children: { assignments: '#microsoft.graph.deviceHealthScriptAssignment' },
      seedChildren: { 'hs-1': { assignments: [groupAssignment('hs-1_all-devices', 'all-devices', '#microsoft.graph.deviceHealthScriptAssignment')] } },
    },
  );
  const compliance = makeCollection(
    '/deviceManagement/deviceComplianceScripts',
    '#microsoft.graph.deviceComplianceScript',
    ['displayName', 'detectionScriptContent'],
    [
      {
        id: 'cs-1',
        '@odata.type': '#microsoft.graph.deviceComplianceScript',
        displayName: 'Report the antivirus signature age',
        publisher: 'Contoso IT',
        runAsAccount: 'system',
        detectionScriptContent: content('@{ SignatureAgeDays = (Get-MpComputerStatus).AntivirusSignatureAge } | ConvertTo-Json -Compress\n'),
        createdDateTime: CREATED,
        lastModifiedDateTime: CREATED,
      },
    ],
    {
      assignField: 'deviceHealthScriptAssignments',
      children: { assignments: '#microsoft.graph.deviceHealthScriptAssignment' },
      seedChildren: { 'cs-1': { assignments: [groupAssignment('cs-1_all-devices', 'all-devices', '#microsoft.graph.deviceHealthScriptAssignment')] } },
    },
  );
  const customAttributes = makeCollection(
    '/deviceManagement/deviceCustomAttributeShellScripts',
    '#microsoft.graph.deviceCustomAttributeShellScript',
    ['displayName', 'scriptContent'],
    [
      {
        id: 'ca-1',
        '@odata.type': '#microsoft.graph.deviceCustomAttributeShellScript',
        displayName: 'Report the FileVault state',
        customAttributeName: 'FileVaultState',
        customAttributeType: 'string',
        fileName: 'filevault.sh',
        runAsAccount: 'system',
        scriptContent: content('#!/bin/sh\nfdesetup status\n'),
        createdDateTime: CREATED,
        lastModifiedDateTime: CREATED,
      },
    ],
    {
      assignField: 'deviceManagementScriptAssignments',
      children: { assignments: '#microsoft.graph.deviceManagementScriptAssignment', groupAssignments: '#microsoft.graph.deviceManagementScriptGroupAssignment' },
      seedChildren: { 'ca-1': { assignments: [groupAssignment('ca-1_all-devices', 'all-devices', '#microsoft.graph.deviceManagementScriptAssignment')], groupAssignments: [{ id: 'ca-1_helpdesk', targetGroupId: 'helpdesk' }] } },
    },
  );
  return [shell, health, compliance, customAttributes];
}

/**
 * Managed devices: not created by POST (devices enrol), changed by actions. Destructive actions
 * (wipe, retire, Fresh Start, removing a shared-device user, DELETE, the bulk executeAction) are
 * protected by the deviceActions profile type; the routine ones (sync, reboot, lock, locate) and a
 * PATCH of a device's notes are not, on purpose (config/profile-types/device-actions.yaml).
 */
function managedDevices(): Collection[] {
  const device = (id: string, deviceName: string, operatingSystem: string, userPrincipalName: string): GraphObject => ({
    id,
    '@odata.type': '#microsoft.graph.managedDevice',
    deviceName,
    operatingSystem,
    userPrincipalName,
    managedDeviceOwnerType: 'company',
    managementState: 'managed',
    complianceState: 'compliant',
    deviceCategoryDisplayName: 'Corporate laptop',
    lastSyncDateTime: CREATED,
    enrolledDateTime: CREATED,
    notes: '',
  });
  const stamp = (device: GraphObject): void => {
    device.lastModifiedDateTime = new Date().toISOString();
  };
  const state = (managementState: string) =>
    deviceAction((device) => {
      device.managementState = managementState;
      stamp(device);
    });
  return [
    makeCollection(
      '/deviceManagement/managedDevices',
      '#microsoft.graph.managedDevice',
      [],
      [device('d-laptop-7', 'CONTOSO-LT-007', 'Windows', 'alice@contoso.example'), device('d-ipad-3', 'Front desk iPad', 'iOS', 'kiosk@contoso.example')],
      {
        creatable: false,
        patchExample: { notes: 'Battery swapped on 2026-11-20' },
        actions: {
          wipe: { ...state('wipePending'), example: { keepEnrollmentData: false, keepUserData: false } },
          retire: state('retirePending'),
          cleanWindowsDevice: {
            example: { keepUserData: true },
            run(device, input) {
              if (typeof input.keepUserData !== 'boolean') throw new GraphError(400, 'BadRequest', "the property 'keepUserData' is required (true or false)");
              device.managementState = 'cleanPending';
              stamp(device);
              return { status: 204 };
            },
          },
          deleteUserFromSharedAppleDevice: {
            example: { userPrincipalName: 'kiosk@contoso.example' },
            run(device, input) {
              if (typeof input.userPrincipalName !== 'string' || input.userPrincipalName === '') throw new GraphError(400, 'BadRequest', "the property 'userPrincipalName' is required");
              stamp(device);
              return { status: 204 };
            },
          },
          syncDevice: deviceAction((device) => {
            device.lastSyncDateTime = new Date().toISOString();
          }),
          rebootNow: deviceAction(stamp),
          remoteLock: deviceAction(stamp),
          locateDevice: deviceAction(stamp),
        },
        collectionActions: {
          // Beta's bulk action: one action on many devices; Graph answers 200 with what happened to each.
          executeAction: {
            example: { actionName: 'retire', deviceIds: ['d-ipad-3'] },
            run(input, collection) {
              if (typeof input.actionName !== 'string' || input.actionName === '') throw new GraphError(400, 'BadRequest', "the property 'actionName' is required");
              const ids = arrayField(input, 'deviceIds');
              if (ids.length === 0 || ids.length > 100 || !ids.every((id) => typeof id === 'string')) throw new GraphError(400, 'BadRequest', "'deviceIds' must list 1 to 100 device ids");
              const found = (ids as string[]).filter((id) => collection.items.has(id));
              for (const id of found) collection.items.get(id)!.managementState = `${input.actionName}Pending`;
              return {
                status: 200,
                body: {
                  '@odata.context': '$metadata#microsoft.graph.bulkManagedDeviceActionResult',
                  successfulDeviceIds: found,
                  failedDeviceIds: [],
                  notFoundDeviceIds: (ids as string[]).filter((id) => !collection.items.has(id)),
                  notSupportedDeviceIds: [],
                },
              };
            },
          },
        },
      },
    ),
  ];
}

/**
 * Every collection of this file, freshly seeded.
 * @example intuneCollections().map((c) => c.path) // ['/deviceManagement/deviceCompliancePolicies', …]
 */
export function intuneCollections(): Collection[] {
  return [...compliancePolicies(), ...configurationPolicies(), ...tenantConfiguration(), ...resourceOperations(), ...scripts(), ...managedDevices()];
}
